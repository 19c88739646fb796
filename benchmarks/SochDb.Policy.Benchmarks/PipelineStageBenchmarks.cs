using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using BenchmarkDotNet.Attributes;
using SochDb.Policy.Benchmarks.RuleSets;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// Where the nanoseconds of the guarded layer go (targets T1 restated, T3, T4 in docs/benchmarks.md). The whole layer is
/// engine Put minus bare-store Put over the in-memory store with a reused context; each engine configuration adds one
/// stage to the one before (no rules → 16 compiled rules → a per-agent limit → the audit ring), and the engine's fixed
/// steps, which no configuration removes, are measured one by one as prototypes that do exactly that step's work
/// (the engine's own types are internal). The seed-shaped regex scan of the same 16 patterns is T1's yardstick, and a raw
/// <see cref="ConcurrentDictionary{TKey, TValue}"/> put T3's. The two "floor" cases are T3's floor: the raw put plus the
/// work a guarded Put with 16 rules, a per-agent limit and audit cannot skip, each part done the cheapest way there is.
/// </summary>
[MemoryDiagnoser]
public class PipelineStageBenchmarks
{
    private static readonly PolicyContext Context = new() { AgentId = "agent_001", SessionId = "s1" };
    private static readonly byte[] Value = "hello"u8.ToArray();
    private static readonly string KeyText = RulePatterns.Key(KeyKind.One);
    private static readonly byte[] Key = Encoding.UTF8.GetBytes(KeyText);

    // The fixed steps' prototypes: the same shapes as the engine's (an in-flight count, a thread-static nesting counter,
    // an activity source and a counter nobody listens to).
    [ThreadStatic]
    private static int t_nesting;

    private static readonly ActivitySource Source = new("SochDb.Policy.Benchmarks.Prototype");
    private static readonly Meter Meter = new("SochDb.Policy.Benchmarks.Prototype");
    private static readonly Counter<long> Decisions = Meter.CreateCounter<long>("decisions");

    private const int FloorCapacity = 16_384;

    private readonly ConcurrentDictionary<string, byte[]> _raw = new();
    private readonly SochDb.Policy.Audit.AuditLog _ring = new(10_000);
    private readonly FloorSlot[] _floorSlots = Enumerable.Range(0, FloorCapacity).Select(_ => new FloorSlot()).ToArray();
    private long _tokens = long.MaxValue;
    private long _floorSequence;
    private int _inFlight;
    private object? _recorder;
    private Database _bare = null!;
    private PolicyEngine _noRules = null!;
    private PolicyEngine _rules = null!;
    private PolicyEngine _rulesLimit = null!;
    private PolicyEngine _rulesLimitAudit = null!;
    private SeedShapedEngine _seed = null!;
    private FloorGuard _floorGuard = null!;
    private Dictionary<string, string> _seedContext = null!;

    [GlobalSetup]
    public void Setup()
    {
        t_nesting = 0; // as outside any handler
        _recorder = null; // audit off, as in the engine configurations without audit
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
        _floorGuard = new FloorGuard(_bare, Rules16.Compiled) { Recorder = null };
        _seed = new SeedShapedEngine(RulePatterns.First(16));
        _seedContext = new Dictionary<string, string> { ["agent_id"] = "agent_001" };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _floorGuard.Close();
        _bare.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare in-memory store Put")]
    public void BarePut() => _bare.Put(Key, Value);

    [Benchmark(Description = "raw ConcurrentDictionary put (T3 yardstick)")]
    public void RawPut() => _raw[KeyText] = Value;

    [Benchmark(Description = "seed: Regex scan of the 16 patterns (T1 yardstick)")]
    public bool SeedRegex() => _seed.Decide(KeyText, _seedContext);

    [Benchmark(Description = "engine Put: no rules")]
    public void EngineNoRules() => _noRules.Put(Key, Value, Context);

    [Benchmark(Description = "engine Put: 16 rules")]
    public void EngineRules() => _rules.Put(Key, Value, Context);

    [Benchmark(Description = "engine Put: 16 rules + agent limit")]
    public void EngineRulesLimit() => _rulesLimit.Put(Key, Value, Context);

    [Benchmark(Description = "engine Put: 16 rules + agent limit + audit")]
    public void EngineRulesLimitAudit() => _rulesLimitAudit.Put(Key, Value, Context);

    [Benchmark(Description = "step: copies (key and value into one scratch buffer of the thread, cleared after)")]
    public int Copies()
    {
        var key = SochDb.Policy.Engine.OwnedBytes.ForSyncCall(Key, Value, out var value);
        int length = key.Length + value.Length;
        value.Release();
        key.Release();
        return length;
    }

    [Benchmark(Description = "step: admission (in-flight count in and out, nesting, audit check)")]
    public bool Admission()
    {
        Interlocked.Increment(ref _inFlight);
        bool refused = t_nesting >= 8 || Volatile.Read(ref _recorder) is not null;
        Interlocked.Decrement(ref _inFlight);
        return refused;
    }

    [Benchmark(Description = "step: tracing and metric checks (nobody listens)")]
    public bool TracingAndMetrics()
    {
        Activity? span = Source.HasListeners() ? Source.StartActivity("put") : null;
        bool tagged = Source.HasListeners();
        if (Decisions.Enabled)
        {
            Decisions.Add(1);
        }

        span?.Dispose();
        return tagged;
    }

    [Benchmark(Description = "step: dispatch (16 compiled rules, BeforeWrite, one matching)")]
    public bool Dispatch()
    {
        var evaluation = new PolicyEvaluation(PolicyTrigger.BeforeWrite, Key, Value, Context);
        Rules16.Compiled.Evaluate(ref evaluation);
        return evaluation.RequiresApproval;
    }

    [Benchmark(Description = "step: audit append (the engine's ring, one entry)")]
    public long AuditAppend()
    {
        var draft = new SochDb.Policy.Audit.AuditDraft(Environment.TickCount64, PolicyOperation.Write, Key, keyMasked: false,
            AuditResult.Allowed, "agent_001", "s1", null, null, default, default);
        return _ring.Append(in draft);
    }

    // T3's floor: the work a guarded Put with 16 rules, a per-agent limit and audit cannot skip, each part done the cheapest
    // way there is, beside the raw put. Unsafe as a product on purpose: the token is taken with no refill and its bucket
    // found for free, and the ring slot is written without being claimed (it tears when the ring laps a slow writer).
    [Benchmark(Description = "floor: raw put + cheapest limit (one atomic take) + cheapest append (one atomic, key copy, tick)")]
    public long FloorWithoutDispatch()
    {
        _raw[KeyText] = Value;
        return TakeTokenAndAppend();
    }

    [Benchmark(Description = "floor: the same + the 16-rule dispatch (the layer's unavoidable work, T3 floor)")]
    public long Floor()
    {
        _raw[KeyText] = Value;
        var evaluation = new PolicyEvaluation(PolicyTrigger.BeforeWrite, Key, Value, Context);
        Rules16.Compiled.Evaluate(ref evaluation);
        return TakeTokenAndAppend() + (evaluation.RequiresApproval ? 1 : 0);
    }

    private long TakeTokenAndAppend()
    {
        Interlocked.Decrement(ref _tokens);
        long sequence = Interlocked.Increment(ref _floorSequence);
        FloorSlot slot = _floorSlots[(int)(sequence & (FloorCapacity - 1))];
        Key.CopyTo(slot.Key);
        slot.Length = Key.Length;
        slot.Ticks = Environment.TickCount64;
        slot.AgentId = Context.AgentId;
        return sequence;
    }

    private sealed class FloorSlot
    {
        public byte[] Key { get; } = new byte[64];

        public int Length { get; set; }

        public long Ticks { get; set; }

        public string? AgentId { get; set; }
    }

    // T1's floor: a minimal hand-written guard around the same in-memory store doing only the work the product's guarantees
    // cannot skip, each part the cheapest way: admission (the in-flight count disposal waits for, a closing flag, the
    // handler-nesting check of one thread-static state), the key check, the copies of key and value the guard judges and
    // writes (one scratch buffer of the thread, cleared after: a caller can change its buffer between decision and write),
    // the checks whether anyone listens to spans, metrics or the decision log, the same 16-rule compiled dispatch calling
    // the one matching handler (nesting counted around it, a throwing handler caught) and its verdict read, and the store
    // call through IKeyValueStore. Not a product: no outcome, no audit, no limits, no approvals, no async twin.
    [Benchmark(Description = "floor: the whole 16-rule layer, hand-written (admission, copies, checks, dispatch, store call)")]
    public void FloorLayer() => _floorGuard.Put(Key, Value, Context);

    // What a synchronous call no longer pays: the engine's operations ran one `async` routine with `bool async` before
    // the stages got a non-async driver; this is that shape's state machine alone (its frame in the engine was larger).
    [Benchmark(Description = "former step: a bool-async state machine completing synchronously (no longer on the sync path)")]
    public int Routine() => Run(async: false).GetAwaiter().GetResult();

    private static async ValueTask<int> Run(bool async)
    {
        if (async)
        {
            await Task.Yield();
        }

        return 1;
    }
}
