using CsCheck;
using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>The asynchronous twins decide, store, audit and count exactly as the synchronous calls do.</summary>
public sealed class AsyncTwinTests
{
    private static readonly string[] Keys = { "users/alice/email", "users/bob/profile", "system/config", "docs/a", "docs/b", "audit/x" };

    private static void InstallPolicies(PolicyEngine engine)
    {
        engine.BeforeWrite("system/*", Policies.DenyAll);
        engine.AfterRead("users/*/email", Policies.RedactValue("[R]"));
        engine.BeforeRead("audit/**", Policies.RequireAgentId);
        engine.BeforeDelete("docs/b", (in PolicyRequest _) => PolicyDecision.Deny("b stays"));
        engine.BeforeWrite("docs/*", (in PolicyRequest r) => r.Value.Length > 3 ? PolicyDecision.Modify(Bytes("long")) : PolicyDecision.Allow);
        engine.AddRateLimit(PolicyOperation.Write, 7, "agent_id");
    }

    private static string Run(PolicyEngine engine, (int Op, int Key, int Value, bool Agent) step, bool useAsync)
    {
        string key = Keys[step.Key];
        PolicyContext? context = step.Agent ? Agent("agent_1") : null;
        try
        {
            switch (step.Op)
            {
                case 0:
                    string value = new('v', step.Value);
                    if (useAsync)
                    {
                        engine.PutAsync(key, value, context).AsTask().GetAwaiter().GetResult();
                    }
                    else
                    {
                        engine.Put(key, value, context);
                    }

                    return "put";
                case 1:
                    byte[]? read = useAsync ? engine.GetAsync(key, context).AsTask().GetAwaiter().GetResult() : engine.Get(key, context);
                    return "get " + Text(read);
                case 2:
                    bool removed = useAsync ? engine.DeleteAsync(key, context).AsTask().GetAwaiter().GetResult() : engine.Delete(key, context);
                    return "delete " + removed;
                default:
                    var batch = new WriteBatch().Put("docs/a", new string('b', step.Value)).Put(key, "x");
                    if (useAsync)
                    {
                        engine.WriteAsync(batch, context).AsTask().GetAwaiter().GetResult();
                    }
                    else
                    {
                        engine.Write(batch, context);
                    }

                    return "batch";
            }
        }
        catch (PolicyViolationException refused)
        {
            return $"{refused.GetType().Name} {refused.Message}";
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void AsyncTwins_GiveTheSameDecisionsAuditEntriesAndStoreContents_AsTheSyncCalls_OnRandomOperations()
    {
        var step = Gen.Select(Gen.Int[0, 3], Gen.Int[0, Keys.Length - 1], Gen.Int[0, 6], Gen.Bool);
        step.Array[1, 40].Sample(steps =>
        {
            foreach (bool asyncStore in new[] { false, true })
            {
                using var sync = new GuardedKit();
                using var twin = new GuardedKit();
                twin.Store.CompleteAsynchronously = asyncStore;
                InstallPolicies(sync.Engine);
                InstallPolicies(twin.Engine);
                foreach (var s in steps)
                {
                    Assert.Equal(Run(sync.Engine, s, useAsync: false), Run(twin.Engine, s, useAsync: true));
                }

                Assert.Equal(sync.Snapshot(), twin.Snapshot());
                Assert.Equal(
                    sync.Audit().Select(e => (e.Operation, e.Key, e.Result, e.Rule, e.Reason, e.AgentId)),
                    twin.Audit().Select(e => (e.Operation, e.Key, e.Result, e.Rule, e.Reason, e.AgentId)));
            }
        }, iter: 60);
    }

    [Fact]
    public async Task ScanAsync_YieldsWhatScanYields_WithTheSameAudit()
    {
        using var sync = new GuardedKit();
        using var twin = new GuardedKit();
        twin.Store.CompleteAsynchronously = true;
        foreach (GuardedKit kit in new[] { sync, twin })
        {
            InstallPolicies(kit.Engine);
            kit.Engine.BeforeRead("docs/b", Policies.DenyAll);
            foreach (string key in Keys)
            {
                kit.Store.Inner.Put(key, "value of " + key);
            }
        }

        var expected = sync.Engine.Scan("", Agent("a")).Select(kv => $"{Text(kv.Key)}={Text(kv.Value)}").ToList();
        var actual = new List<string>();
        await foreach (var kv in twin.Engine.ScanAsync("", Agent("a")))
        {
            actual.Add($"{Text(kv.Key)}={Text(kv.Value)}");
        }

        Assert.Equal(expected, actual);
        Assert.Contains("users/alice/email=[R]", actual);
        Assert.DoesNotContain(actual, line => line.StartsWith("docs/b", StringComparison.Ordinal));
        Assert.Equal(sync.Audit().Select(e => (e.Key, e.Result)), twin.Audit().Select(e => (e.Key, e.Result)));
    }

    [Fact]
    public async Task Async_CancellationBeforeTheCall_ChangesNothingAndRecordsNothing()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.All, 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kit.Engine.PutAsync("k", "v", null, cancelled.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kit.Engine.GetAsync("k", null, cancelled.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kit.Engine.DeleteAsync("k", null, cancelled.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kit.Engine.WriteAsync(new WriteBatch().Put("k", "v"), null, cancelled.Token).AsTask());

        Assert.Empty(kit.Snapshot());
        Assert.Empty(kit.Audit());
        Assert.Equal(0, kit.Store.Calls);
        await kit.Engine.PutAsync("k", "v"); // the one token was not spent
    }

    [Fact]
    public async Task Async_CancellationAfterTheDecision_BeforeTheStore_ChangesNothing_AndIsNotRecordedAsAllowed()
    {
        using var kit = new GuardedKit();
        using var cancel = new CancellationTokenSource();
        kit.Engine.BeforeWrite("k", (in PolicyRequest _) => { cancel.Cancel(); return PolicyAction.Allow; });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kit.Engine.PutAsync("k", "v", null, cancel.Token).AsTask());

        Assert.Empty(kit.Snapshot());
        Assert.Equal(0, kit.Store.Calls);
        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Failed, entry.Result);
        Assert.Contains("cancelled before the store", entry.Reason);
    }

    [Fact]
    public async Task Async_ARefusalSurfacesThroughTheReturnedTask()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll);

        ValueTask pending = kit.Engine.PutAsync("system/config", "{}", Agent("a"));

        Assert.True(pending.IsFaulted);
        await Assert.ThrowsAsync<PolicyViolationException>(() => pending.AsTask());
    }

    [Fact]
    public void T11_AsyncCallsOverTheInMemoryStore_AllocateNothingBeyondTheSyncCall()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store);
        engine.BeforeWrite("users/**", Policies.RequireAgentId);
        engine.BeforeRead("users/**", Policies.AllowAll);
        engine.AfterRead("users/*/email", Policies.RedactValue("x"));
        engine.AddRateLimit(PolicyOperation.All, int.MaxValue, "agent_id");
        var context = Agent("agent_001");
        ReadOnlyMemory<byte> key = Bytes("users/alice/profile");
        ReadOnlyMemory<byte> value = Bytes("{\"name\":\"Alice\"}");

        long sync = Measure(() =>
        {
            engine.Put(key.Span, value.Span, context);
            engine.Get(key.Span, context);
        });
        long async = Measure(() =>
        {
            ValueTask put = engine.PutAsync(key, value, context);
            Assert.True(put.IsCompletedSuccessfully);
            ValueTask<byte[]?> get = engine.GetAsync(key, context);
            Assert.True(get.IsCompletedSuccessfully);
            _ = get.Result;
        });

        Assert.Equal(sync, async);
    }

    private static long Measure(Action action)
    {
        const int calls = 1000;
        for (int i = 0; i < calls; i++)
        {
            action(); // warm up pools, tiered JIT, the audit ring
        }

        return Allocations.Minimum(() =>
        {
            for (int i = 0; i < calls; i++)
            {
                action();
            }
        }) / calls;
    }
}
