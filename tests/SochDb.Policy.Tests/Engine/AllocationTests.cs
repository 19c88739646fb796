using static SochDb.Policy.Tests.Engine.EngineTestKit;

namespace SochDb.Policy.Tests.Engine;

/// <summary>DESIGN.md §8 T4: on the allowed path with a reused context, the engine allocates exactly what the store does.</summary>
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

        for (int i = 0; i < Calls; i++)
        {
            store.Put(key, value);
            engine.Put(key, value, context);
            store.TryGet(key, out _);
            engine.Get(key, context);
        }

        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
        {
            store.Put(key, value);
        }

        long barePut = GC.GetAllocatedBytesForCurrentThread() - start;
        start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
        {
            engine.Put(key, value, context);
        }

        long enginePut = GC.GetAllocatedBytesForCurrentThread() - start;
        start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
        {
            store.TryGet(key, out _);
        }

        long bareGet = GC.GetAllocatedBytesForCurrentThread() - start;
        start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
        {
            engine.Get(key, context);
        }

        long engineGet = GC.GetAllocatedBytesForCurrentThread() - start;

        Assert.True(barePut > 0, "the bare store's put should allocate its copies");
        Assert.Equal(barePut, enginePut);
        Assert.Equal(bareGet, engineGet);
    }
}
