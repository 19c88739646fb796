using System.Reflection;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Generators.Tests;

/// <summary>The generator marks handlers whose body always denies, so <c>PolicyEngine.Analyze()</c> can rely on them.</summary>
public sealed class AlwaysDenyingHandlerTests
{
    private const string Source = """
        using SochDb.Policy;

        public static partial class Retention
        {
            [BeforeDelete("archive/**")]
            static PolicyAction Keep(in PolicyRequest request) => PolicyAction.Deny;

            [BeforeWrite("frozen/*")]
            static PolicyDecision Frozen(in PolicyRequest request)
            {
                return PolicyDecision.Deny("frozen");
            }

            [BeforeDelete("archive")]
            [BeforeWrite("maybe/*")]
            static PolicyAction Maybe(in PolicyRequest request) => request.Context.Has("admin") ? PolicyAction.Allow : PolicyAction.Deny;

            [BeforeDelete("archive/2024/*")]
            static PolicyAction Late(in PolicyRequest request) => PolicyAction.Allow;
        }
        """;

    [Fact]
    public void Constant_denials_are_marked_and_the_engine_analyses_them()
    {
        GeneratorResult result = GeneratorHarness.Run(Source);
        Assembly assembly = GeneratorHarness.Load(result.Output);
        CompiledPolicySet set = GeneratorHarness.CompiledSet(assembly, "Retention");

        Dictionary<string, bool> marked = set.Rules.ToDictionary(r => r.Trigger + " " + r.Pattern, r => r.AlwaysDenies);
        Assert.True(marked["BeforeDelete archive/**"]);
        Assert.True(marked["BeforeWrite frozen/*"]);
        Assert.False(marked["BeforeDelete archive"]);
        Assert.False(marked["BeforeWrite maybe/*"]);
        Assert.False(marked["BeforeDelete archive/2024/*"]);

        var engine = new PolicyEngine(Database.OpenInMemory(), set);
        PolicyFinding finding = Assert.Single(engine.Analyze().Findings, f => f.Id == "SOCH0014");
        Assert.Equal("archive/2024/*", finding.Rule.Pattern);
        Assert.Equal("archive/**", Assert.Single(finding.RelatedRules).Pattern);
    }
}
