using System.Collections.Concurrent;
using System.Text;
using BenchmarkDotNet.Attributes;
using SochDb.Policy.Benchmarks.RuleSets;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// Put and Get over the in-memory store, with and without the policy layer (targets T3, T4 in docs/benchmarks.md).
/// The policy layer's own cost is (engine - bare store); T3 compares it with a raw ConcurrentDictionary put.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private static readonly PolicyContext Context = new() { AgentId = "agent_001", SessionId = "s1" };
    private static readonly byte[] Value = "hello"u8.ToArray();
    private static readonly byte[] Key = Encoding.UTF8.GetBytes(RulePatterns.Key(KeyKind.One));
    private static readonly string KeyText = RulePatterns.Key(KeyKind.One);

    private readonly ConcurrentDictionary<string, byte[]> _raw = new();
    private Database _bare = null!;
    private PolicyEngine _noRules = null!;
    private PolicyEngine _rules = null!;
    private PolicyEngine _rulesLimit = null!;
    private PolicyEngine _rulesLimitAudit = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bare = Database.OpenInMemory();
        _bare.Put(Key, Value);
        _raw[KeyText] = Value;
        _noRules = new PolicyEngine(_bare);
        _rules = new PolicyEngine(_bare, Rules16.Compiled);
        _rulesLimit = new PolicyEngine(_bare, Rules16.Compiled);
        _rulesLimit.AddRateLimit(PolicyOperation.All, int.MaxValue, "agent_id");
        _rulesLimitAudit = new PolicyEngine(_bare, Rules16.Compiled);
        _rulesLimitAudit.AddRateLimit(PolicyOperation.All, int.MaxValue, "agent_id");
        _rulesLimitAudit.Audit.Enable(10_000);
    }

    [GlobalCleanup]
    public void Cleanup() => _bare.Dispose();

    [Benchmark(Baseline = true, Description = "Put: raw ConcurrentDictionary")]
    public void RawPut() => _raw[KeyText] = Value;

    [Benchmark(Description = "Put: bare in-memory store")]
    public void BarePut() => _bare.Put(Key, Value);

    [Benchmark(Description = "Put: engine, no rules")]
    public void EnginePutNoRules() => _noRules.Put(Key, Value, Context);

    [Benchmark(Description = "Put: engine, 16 rules")]
    public void EnginePutRules() => _rules.Put(Key, Value, Context);

    [Benchmark(Description = "Put: engine, 16 rules + agent limit")]
    public void EnginePutRulesLimit() => _rulesLimit.Put(Key, Value, Context);

    [Benchmark(Description = "Put: engine, 16 rules + agent limit + audit")]
    public void EnginePutRulesLimitAudit() => _rulesLimitAudit.Put(Key, Value, Context);

    [Benchmark(Description = "Get: raw ConcurrentDictionary")]
    public byte[]? RawGet() => _raw.TryGetValue(KeyText, out byte[]? value) ? value : null;

    [Benchmark(Description = "Get: bare in-memory store")]
    public byte[]? BareGet() => _bare.Get(Key);

    [Benchmark(Description = "Get: engine, no rules")]
    public byte[]? EngineGetNoRules() => _noRules.Get(Key, Context);

    [Benchmark(Description = "Get: engine, 16 rules")]
    public byte[]? EngineGetRules() => _rules.Get(Key, Context);

    [Benchmark(Description = "Get: engine, 16 rules + agent limit + audit")]
    public byte[]? EngineGetRulesLimitAudit() => _rulesLimitAudit.Get(Key, Context);
}
