using System.Text;
using BenchmarkDotNet.Attributes;
using SochDb.Policy.Benchmarks.RuleSets;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// Decision cost on rule sets of mixed shapes, a quarter of them starting with a wildcard segment (T2 for every shape),
/// and rules registered at run time against the generated dispatch of the same rules (T8: the baseline is the
/// compiled engine Put, so the Ratio column of the run-time row is T8). T2 compares rows of one method and key across
/// rule counts.
/// </summary>
[MemoryDiagnoser]
public class MixedDecisionBenchmarks
{
    private static readonly PolicyContext Context = new() { AgentId = "agent_001" };
    private static readonly byte[] Value = "v"u8.ToArray();

    private CompiledPolicySet _compiled = null!;
    private PolicyEngine _compiledEngine = null!;
    private PolicyEngine _runtimeEngine = null!;
    private byte[] _key = null!;

    [Params(16, 256, 1024)]
    public int Rules { get; set; }

    [Params(MixedKey.OneSegmentNone, MixedKey.OneSegmentOne, MixedKey.SegmentsNone, MixedKey.SegmentsOne, MixedKey.SegmentsTwo)]
    public MixedKey Key { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _compiled = Rules switch
        {
            16 => MixedRules16.Compiled,
            256 => MixedRules256.Compiled,
            _ => MixedRules1024.Compiled,
        };
        _compiledEngine = new PolicyEngine(new NullStore(), _compiled);
        _runtimeEngine = new PolicyEngine(new NullStore());
        foreach (string pattern in RulePatterns.FirstMixed(Rules))
        {
            _runtimeEngine.BeforeWrite(pattern, static (in PolicyRequest _) => RuleCounter.Hit());
        }

        _key = Encoding.UTF8.GetBytes(RulePatterns.Key(Key));
    }

    [Benchmark(Description = "compiled: Evaluate")]
    public bool Compiled()
    {
        var evaluation = new PolicyEvaluation(PolicyTrigger.BeforeWrite, _key, Value, Context);
        _compiled.Evaluate(ref evaluation);
        return evaluation.IsDenied;
    }

    [Benchmark(Baseline = true, Description = "compiled: engine Put")]
    public void CompiledEngine() => _compiledEngine.Put(_key, Value, Context);

    [Benchmark(Description = "run-time: engine Put")]
    public void RuntimeEngine() => _runtimeEngine.Put(_key, Value, Context);
}
