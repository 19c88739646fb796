using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SochDb.Policy.Generators.Tests;

/// <summary>Which pipeline steps re-run after an edit (docs/generator.md; benchmark target T6 in docs/benchmarks.md).</summary>
public class IncrementalTests
{
    private const string Unrelated = """
        namespace Other;
        public class Unrelated { public int Answer() => 41; }
        """;

    [Fact]
    public void UnrelatedEditLeavesEveryStepCachedOrUnchanged()
    {
        (GeneratorRunResult result, _) = RunTwice(Unrelated, Unrelated.Replace("41", "42"));
        AssertAllSteps(result, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void HandlerBodyEditLeavesEveryStepCachedOrUnchanged()
    {
        string edited = TestSources.DesignSample.Replace("AgentId is null ?", "AgentId is not null ?");
        Assert.NotEqual(TestSources.DesignSample, edited);
        (GeneratorRunResult result, _) = RunTwice(TestSources.DesignSample, edited);
        AssertAllSteps(result, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void PatternEditRegenerates()
    {
        string edited = TestSources.DesignSample.Replace("\"system/*\"", "\"system/**\"");
        (GeneratorRunResult result, string text) = RunTwice(TestSources.DesignSample, edited);
        Assert.Contains(Reasons(result, StepNames.HandlerRules), r => r == IncrementalStepRunReason.Modified);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(result, StepNames.PolicySets));
        Assert.Contains(IncrementalStepRunReason.Modified, result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason));
        Assert.Contains("[BeforeWrite(\"system/**\")]", text);
    }

    [Fact]
    public void NewHandlerRegenerates()
    {
        string edited = TestSources.DesignSample.Replace(
            "static readonly byte[] Redacted",
            "[BeforeDelete(\"users/**\")] static PolicyAction NoDeletes(in PolicyRequest request) => PolicyAction.Deny;\n    static readonly byte[] Redacted");
        (GeneratorRunResult result, string text) = RunTwice(TestSources.DesignSample, edited);
        Assert.Contains(IncrementalStepRunReason.New, Reasons(result, StepNames.HandlerRules));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(result, StepNames.PolicySets));
        Assert.Contains("AgentPolicies.NoDeletes", text);
    }

    /// <summary>Runs the generator on <c>DesignSample</c> plus <paramref name="before"/>, then again with it replaced by <paramref name="after"/>.</summary>
    private static (GeneratorRunResult Result, string Text) RunTwice(string before, string after)
    {
        bool editsSample = before == TestSources.DesignSample;
        CSharpCompilation compilation = editsSample
            ? GeneratorHarness.CreateCompilation(before, Unrelated)
            : GeneratorHarness.CreateCompilation(TestSources.DesignSample, before);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree old = compilation.SyntaxTrees.ElementAt(editsSample ? 0 : 1);
        SyntaxTree replacement = CSharpSyntaxTree.ParseText(after, GeneratorHarness.ParseOptions, old.FilePath);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, replacement));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return (result, result.GeneratedSources.Single(s => s.HintName != PolicyAttributesSource.HintName).SourceText.ToString());
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorRunResult result, string step)
    {
        Assert.True(result.TrackedSteps.ContainsKey(step), "step " + step + " was not tracked");
        return result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);
    }

    private static void AssertAllSteps(GeneratorRunResult result, params IncrementalStepRunReason[] allowed)
    {
        Assert.NotEmpty(Reasons(result, StepNames.HandlerRules));
        Assert.NotEmpty(Reasons(result, StepNames.PolicySets));
        foreach (string step in new[] { StepNames.HandlerRules, StepNames.ClassRules, StepNames.AllRules, StepNames.PolicySets })
        {
            if (!result.TrackedSteps.ContainsKey(step))
            {
                continue; // no attribute of that kind in the sources
            }

            foreach (IncrementalStepRunReason reason in Reasons(result, step))
            {
                Assert.True(allowed.Contains(reason), $"step {step} ran with reason {reason}");
            }
        }

        var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToArray();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.Contains(o.Reason, allowed));
    }
}
