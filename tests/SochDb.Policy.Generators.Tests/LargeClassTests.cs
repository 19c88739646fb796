using System.Diagnostics;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Generators.Tests;

/// <summary>Benchmark target T6 (docs/benchmarks.md): a 1,000-handler class generates and compiles; the time is recorded, never asserted.</summary>
public class LargeClassTests(ITestOutputHelper output)
{
    [Trait("Category", "Slow")]
    [Fact]
    public void ThousandHandlerClassGeneratesCompilesAndDispatches()
    {
        var source = new StringBuilder("using SochDb.Policy;\nnamespace Big;\npublic static partial class ThousandPolicies\n{\n");
        source.Append("    public static readonly System.Collections.Generic.List<int> Calls = new();\n");
        for (int i = 0; i < 1000; i++)
        {
            string pattern = (i % 4) switch
            {
                0 => $"tenant{i}/*",
                1 => $"tenant{i}/data/*.json",
                2 => $"tenant{i}/**",
                _ => $"shared/t{i}-*",
            };
            source.Append($"    [BeforeWrite(\"{pattern}\")] static PolicyAction H{i}(in PolicyRequest r) {{ Calls.Add({i}); return PolicyAction.Allow; }}\n");
        }

        source.Append("}\n");
        var compilation = GeneratorHarness.CreateCompilation(source.ToString());

        // A first run, so the measured run does not pay for JIT of the generator itself (an IDE keeps the generator warm).
        GeneratorHarness.CreateDriver(trackSteps: false).RunGenerators(compilation);
        var stopwatch = Stopwatch.StartNew();
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: false)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation updated, out var diagnostics);
        stopwatch.Stop();
        TimeSpan reported = driver.GetTimingInfo().ElapsedTime;
        string text = driver.GetRunResult().Results.Single().GeneratedSources.Single(s => s.HintName != PolicyAttributesSource.HintName).SourceText.ToString();
        output.WriteLine($"1,000 handlers: generator ran in {stopwatch.ElapsedMilliseconds} ms (driver timing {reported.TotalMilliseconds:F0} ms); {text.Length:N0} characters generated");

        Assert.Empty(diagnostics);
        Assembly assembly = GeneratorHarness.Load(updated);
        CompiledPolicySet set = GeneratorHarness.CompiledSet(assembly, "Big.ThousandPolicies");
        var calls = (List<int>)assembly.GetType("Big.ThousandPolicies")!.GetField("Calls")!.GetValue(null)!;
        Assert.Equal(1000, set.Rules.Count);

        Assert.Equal([500], Evaluate(set, calls, "tenant500/x"));
        Assert.Equal([501], Evaluate(set, calls, "tenant501/data/a.json"));
        Assert.Equal([502], Evaluate(set, calls, "tenant502/a/b/c"));
        Assert.Equal([503], Evaluate(set, calls, "shared/t503-abc"));
        Assert.Empty(Evaluate(set, calls, "tenant501/x"));
        Assert.Empty(Evaluate(set, calls, "tenant5000/x"));
    }

    private static int[] Evaluate(CompiledPolicySet set, List<int> calls, string key)
    {
        calls.Clear();
        var evaluation = new PolicyEvaluation(PolicyTrigger.BeforeWrite, Encoding.UTF8.GetBytes(key), default, null);
        set.Evaluate(ref evaluation);
        return [.. calls];
    }
}
