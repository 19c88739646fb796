using System.Collections.Generic;

namespace SochDb.Policy.Tool.Check;

/// <summary>The policy-set analysis of the configured rules, each finding placed on its rule in the file.</summary>
internal static class PolicySetAnalysis
{
    public static void Report(PolicyEngine engine, LoadedPolicyFile loaded, List<Finding> findings)
    {
        // Filled in by engine.Analyze() once the analysis API is on main.
        _ = engine;
        _ = loaded;
        _ = findings;
    }
}
