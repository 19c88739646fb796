using BenchmarkDotNet.Attributes;
using SochDb.Policy.Glob;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// T15: <see cref="PolicyEngine.Analyze"/> of 1,000 rules shaped like real policies (deny, require-agent and redact
/// rules over the mixed pattern shapes, a quarter starting with a wildcard segment, on three triggers), against compiling
/// the same 1,000 patterns (baseline: what loading them costs anyway). And the worst single question: an inclusion whose
/// automata blow up (<c>*a</c> then twenty <c>?</c>), which the state budget stops.
/// </summary>
[MemoryDiagnoser]
public class AnalysisBenchmarks
{
    private const int RuleCount = 1000;

    private string[] _patterns = null!;
    private PolicyEngine _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        _patterns = RulePatterns.FirstMixed(RuleCount);
        _engine = new PolicyEngine(new NullStore());
        _engine.RegisterRules(Enumerable.Range(0, RuleCount).Select(i => (i % 4) switch
        {
            0 or 1 => new PolicyRuleInfo(PolicyTrigger.BeforeWrite, _patterns[i], Policies.DenyAll, name: $"deny:{i}"),
            2 => new PolicyRuleInfo(PolicyTrigger.BeforeRead, _patterns[i], Policies.RequireAgentId, name: $"agent:{i}"),
            _ => new PolicyRuleInfo(PolicyTrigger.AfterRead, _patterns[i], Policies.RedactValue(), name: $"redact:{i}"),
        }).ToArray());
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    [Benchmark(Baseline = true, Description = "compile 1,000 patterns")]
    public int CompilePatterns()
    {
        int matching = 0;
        foreach (string pattern in _patterns)
        {
            matching += CompilerServices.GlobMatcher.Compile(pattern).IsMatch("t1/users/alice/secret1") ? 1 : 0;
        }

        return matching;
    }

    [Benchmark(Description = "Analyze() 1,000 rules")]
    public int Analyze() => _engine.Analyze().Findings.Count;

    [Benchmark(Description = "worst pair, stopped by the budget")]
    public bool WorstPair() => GlobAlgebra.Includes("*a" + new string('?', 20), "*b" + new string('?', 20)).Verdict == GlobVerdict.NotAnalysed;
}
