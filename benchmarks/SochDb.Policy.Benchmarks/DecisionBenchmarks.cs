using System.Text;
using BenchmarkDotNet.Attributes;
using DotNetGlob = DotNet.Globbing.Glob;
using SochDb.Policy.Benchmarks.RuleSets;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// Cost of deciding one BeforeWrite for one key against N rules (targets T1, T2 in docs/benchmarks.md). Baseline: the seed
/// SDKs' approach, one anchored compiled Regex per pattern scanned in order.
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private static readonly PolicyContext Context = new() { AgentId = "agent_001" };
    private static readonly byte[] Value = "v"u8.ToArray();

    private SeedShapedEngine _seed = null!;
    private DotNetGlob[] _globs = null!;
    private CompiledPolicySet _compiled = null!;
    private PolicyEngine _compiledEngine = null!;
    private PolicyEngine _runtimeEngine = null!;
    private Dictionary<string, string> _seedContext = null!;
    private string _key = null!;
    private byte[] _keyBytes = null!;

    [Params(16, 256, 1024)]
    public int Rules { get; set; }

    [Params(KeyKind.None, KeyKind.One, KeyKind.Several)]
    public KeyKind Key { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string[] patterns = RulePatterns.First(Rules);
        _seed = new SeedShapedEngine(patterns);
        _globs = patterns.Select(p => DotNetGlob.Parse(p)).ToArray();
        _compiled = Rules switch
        {
            16 => Rules16.Compiled,
            256 => Rules256.Compiled,
            _ => Rules1024.Compiled,
        };
        _compiledEngine = new PolicyEngine(new NullStore(), _compiled);
        _runtimeEngine = new PolicyEngine(new NullStore());
        foreach (string pattern in patterns)
        {
            _runtimeEngine.BeforeWrite(pattern, static (in PolicyRequest _) => RuleCounter.Hit());
        }

        _seedContext = new Dictionary<string, string> { ["agent_id"] = "agent_001" };
        _key = RulePatterns.Key(Key);
        _keyBytes = Encoding.UTF8.GetBytes(_key);
    }

    [Benchmark(Baseline = true, Description = "seed: Regex per rule")]
    public bool SeedRegex() => _seed.Decide(_key, _seedContext);

    [Benchmark(Description = "DotNet.Glob per rule")]
    public bool DotNetGlobMatch()
    {
        bool any = false;
        foreach (DotNetGlob glob in _globs)
        {
            if (glob.IsMatch(_key))
            {
                any |= RuleCounter.Hit() == PolicyAction.Allow;
            }
        }

        return any;
    }

    [Benchmark(Description = "compiled: Evaluate")]
    public bool Compiled()
    {
        var evaluation = new PolicyEvaluation(PolicyTrigger.BeforeWrite, _keyBytes, Value, Context);
        _compiled.Evaluate(ref evaluation);
        return evaluation.IsDenied;
    }

    [Benchmark(Description = "compiled: engine Put")]
    public void CompiledEngine() => _compiledEngine.Put(_keyBytes, Value, Context);

    [Benchmark(Description = "run-time: engine Put")]
    public void RuntimeEngine() => _runtimeEngine.Put(_keyBytes, Value, Context);
}
