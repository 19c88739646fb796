using static SochDb.Policy.Tests.Engine.EngineTestKit;

namespace SochDb.Policy.Tests.Engine;

/// <summary>Benchmark target T4 (docs/benchmarks.md): on the allowed path with a reused context, the engine allocates exactly what the store does.</summary>
public sealed class AllocationTests
{
    private const int Calls = 1000;

    [Fact]
    public void PutAndGetThroughTheEngineAllocateExactlyWhatTheBareStoreAllocates()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store, HandWrittenPolicySet.Create());
        for (int i = 0; i < 16; i++)
        {
            engine.BeforeWrite($"group{i}/*", Policies.AllowAll);         // other dispatch groups
        }

        engine.BeforeWrite("users/**", Policies.RequireAgentId);         // matches, allows
        engine.BeforeWrite("*/alice/*", Policies.AllowAll);              // wildcard-first group, matches
        engine.BeforeRead("users/*/profile", Policies.AllowAll);
        engine.AfterRead("users/*/email", Policies.RedactValue("x"));    // does not match the key
        engine.AfterWrite("users/**", static (in PolicyRequest _) => { });
        engine.AddRateLimit(PolicyOperation.All, int.MaxValue, "agent_id");
        engine.AddRateLimit(PolicyOperation.Write, int.MaxValue);
        var context = Agent("agent_001");
        byte[] key = Bytes("users/alice/profile");
        byte[] value = Bytes("{\"name\":\"Alice\"}");

        AssertEngineAllocatesExactlyWhatTheStoreAllocates(store, engine, key, value, context);
    }

    [Fact]
    public void WithAuditOn_RecordingAllocatesNothingOnceTheRingHasGoneRound()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store, HandWrittenPolicySet.Create());
        engine.BeforeWrite("users/**", Policies.RequireAgentId);
        engine.AddRateLimit(PolicyOperation.All, int.MaxValue, "agent_id");
        engine.Audit.Enable(64);
        var context = Agent("agent_001");
        byte[] key = Bytes("users/alice/profile");
        byte[] value = Bytes("{\"name\":\"Alice\"}");
        AssertEngineAllocatesExactlyWhatTheStoreAllocates(store, engine, key, value, context);

        // The entries are still all there, built when read.
        IReadOnlyList<AuditEntry> entries = engine.Audit.Recent(int.MaxValue);
        Assert.Equal(64, entries.Count);
        Assert.All(entries, e => Assert.Equal(key, e.KeyBytes));
        Assert.All(entries, e => Assert.Equal("agent_001", e.AgentId));
    }

    private static void AssertEngineAllocatesExactlyWhatTheStoreAllocates(
        Database store, PolicyEngine engine, byte[] key, byte[] value, PolicyContext context)
    {
        for (int i = 0; i < Calls; i++)
        {
            store.Put(key, value);
            engine.Put(key, value, context);
            store.TryGet(key, out _);
            engine.Get(key, context);
        }

        // Each figure is the least of several windows (Allocations.Minimum): a background event only adds bytes to one
        // window, a per-call allocation by the engine shows in all of them.
        // The delegates are made before measuring, so the windows hold only the calls.
        Action storePutCall = () => store.Put(key, value);
        Action enginePutCall = () => engine.Put(key, value, context);
        Action storeGetCall = () => store.TryGet(key, out _);
        Action engineGetCall = () => engine.Get(key, context);
        long barePut = Allocations.Minimum(() => Repeat(storePutCall));
        long enginePut = Allocations.Minimum(() => Repeat(enginePutCall));
        long bareGet = Allocations.Minimum(() => Repeat(storeGetCall));
        long engineGet = Allocations.Minimum(() => Repeat(engineGetCall));

        Assert.True(barePut > 0, "the bare store's put should allocate its copies");
        Assert.True(barePut == enginePut, $"put: store {barePut} B, engine {enginePut} B per {Calls} calls");
        Assert.True(bareGet == engineGet, $"get: store {bareGet} B, engine {engineGet} B per {Calls} calls");
    }

    private static void Repeat(Action call)
    {
        for (int i = 0; i < Calls; i++)
        {
            call();
        }
    }
}
