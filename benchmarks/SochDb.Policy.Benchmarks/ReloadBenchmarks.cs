using BenchmarkDotNet.Attributes;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// T13: replacing 1,600 run-time rules (what a configuration reload hands the engine: deny, require-agent and redact
/// rules over the mixed pattern shapes, on three triggers) in one <see cref="PolicyEngine.RegisterRules"/> swap, against
/// compiling the 1,600 patterns alone (baseline: the work a reload of all-new patterns cannot avoid). Two reloads: one
/// that keeps the patterns and changes the rules' names (the usual edit: the compiled patterns are reused), one in which
/// every pattern is new. Operations read the rule table without a lock, so none waits for a reload.
/// </summary>
[MemoryDiagnoser]
public class ReloadBenchmarks
{
    private const int RuleCount = 1600;

    private string[] _patterns = null!;
    private PolicyEngine _samePatterns = null!;
    private PolicyRuleInfo[][] _renamed = null!;
    private PolicyRegistration _samePatternsCurrent = null!;
    private PolicyEngine _newPatterns = null!;
    private PolicyRuleInfo[][] _moved = null!;
    private PolicyRegistration _newPatternsCurrent = null!;
    private int _samePatternsTurn;
    private int _newPatternsTurn;

    [GlobalSetup]
    public void Setup()
    {
        _patterns = RulePatterns.FirstMixed(RuleCount);
        _renamed = [Configured("v1", ""), Configured("v2", "")];
        _moved = [Configured("v1", "a/"), Configured("v2", "b/")];
        _samePatterns = new PolicyEngine(new NullStore());
        _samePatternsCurrent = _samePatterns.RegisterRules(_renamed[0]);
        _newPatterns = new PolicyEngine(new NullStore());
        _newPatternsCurrent = _newPatterns.RegisterRules(_moved[0]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _samePatterns.Dispose();
        _newPatterns.Dispose();
    }

    [Benchmark(Baseline = true, Description = "compile 1,600 patterns")]
    public int CompilePatterns()
    {
        int matching = 0;
        foreach (string pattern in _patterns)
        {
            matching += CompilerServices.GlobMatcher.Compile(pattern).IsMatch("t1/users/alice/secret1") ? 1 : 0;
        }

        return matching;
    }

    [Benchmark(Description = "replace 1,600 rules, same patterns")]
    public PolicyRegistration ReplaceSamePatterns()
    {
        _samePatternsTurn ^= 1;
        return _samePatternsCurrent = _samePatterns.RegisterRules(_renamed[_samePatternsTurn], replacing: _samePatternsCurrent);
    }

    [Benchmark(Description = "replace 1,600 rules, every pattern new")]
    public PolicyRegistration ReplaceNewPatterns()
    {
        _newPatternsTurn ^= 1;
        return _newPatternsCurrent = _newPatterns.RegisterRules(_moved[_newPatternsTurn], replacing: _newPatternsCurrent);
    }

    private PolicyRuleInfo[] Configured(string version, string prefix) =>
        Enumerable.Range(0, RuleCount).Select(i => (i % 4) switch
        {
            0 or 1 => new PolicyRuleInfo(PolicyTrigger.BeforeWrite, prefix + _patterns[i], Policies.DenyAll, name: $"{version}:deny:{i}"),
            2 => new PolicyRuleInfo(PolicyTrigger.BeforeRead, prefix + _patterns[i], Policies.RequireAgentId, name: $"{version}:agent:{i}"),
            _ => new PolicyRuleInfo(PolicyTrigger.AfterRead, prefix + _patterns[i], Policies.RedactValue(), name: $"{version}:redact:{i}"),
        }).ToArray();
}
