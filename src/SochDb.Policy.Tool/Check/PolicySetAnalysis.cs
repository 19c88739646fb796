using System.Collections.Generic;
using System.Globalization;

namespace SochDb.Policy.Tool.Check;

/// <summary>
/// The policy-set analysis (<see cref="PolicyEngine.Analyze"/>) of the configured rules, each finding placed on the
/// pattern of the rule it is about: warnings for SOCH0014, SOCH0015 and SOCH0017, a note for SOCH0016.
/// </summary>
internal static class PolicySetAnalysis
{
    public static void Report(PolicyEngine engine, LoadedPolicyFile loaded, List<Finding> findings)
    {
        // Configured rule names are unique (the compiler refuses a duplicate), so a name finds its entry.
        var entries = new Dictionary<string, int>(System.StringComparer.Ordinal);
        IReadOnlyList<PolicyRuleInfo> rules = loaded.Snapshot!.Rules;
        for (int i = 0; i < rules.Count; i++)
        {
            entries[rules[i].HandlerName] = i;
        }

        foreach (PolicyFinding finding in engine.Analyze().Findings)
        {
            string? path = entries.TryGetValue(finding.Rule.HandlerName, out int index)
                ? loaded.Section + ":Rules:" + index.ToString(CultureInfo.InvariantCulture)
                : null;
            SourceSpan span = path is null ? ConfigurationCheck.FileStart : loaded.Map!.ValueOf(path + ":Pattern") ?? ConfigurationCheck.FileStart;
            FindingLevel level = finding.IsWarning ? FindingLevel.Warning : FindingLevel.Note;
            findings.Add(new Finding(finding.Id, level, path is null ? finding.Message : $"{path}: {finding.Message}", path, span));
        }
    }
}
