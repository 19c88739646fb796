using SochDb.Policy.Tests.Audit;
using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>
/// Regression tests named after the defects of the duplicated pipeline: every entry point runs the same stages, so
/// each is checked through all ten of them (Put, Get, Delete, Write, Scan, sync and async).
/// </summary>
public sealed class PipelineDefectTests
{
    private const string SecretKey = "secret/1/token";

    public static TheoryData<string> EntryPoints => new()
    {
        "put", "get", "delete", "write", "scan", "putAsync", "getAsync", "deleteAsync", "writeAsync", "scanAsync",
    };

    private static async Task RunAsync(PolicyEngine engine, string entryPoint, string key, PolicyContext? context = null)
    {
        string prefix = key[..(key.LastIndexOf('/') + 1)];
        switch (entryPoint)
        {
            case "put": engine.Put(key, "v", context); break;
            case "get": engine.Get(key, context); break;
            case "delete": engine.Delete(key, context); break;
            case "write": engine.Write(new WriteBatch().Put(key, "v"), context); break;
            case "scan": _ = engine.Scan(prefix, context).ToList(); break;
            case "putAsync": await engine.PutAsync(key, "v", context); break;
            case "getAsync": await engine.GetAsync(key, context); break;
            case "deleteAsync": await engine.DeleteAsync(key, context); break;
            case "writeAsync": await engine.WriteAsync(new WriteBatch().Put(key, "v"), context); break;
            default:
                await foreach (var _ in engine.ScanAsync(prefix, context))
                {
                }

                break;
        }
    }

    [Fact]
    public void Defect1_FailingDurableSink_RefusalCarriesAuditUnavailableCause_AndNoSinkText()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink { Failure = new IOException("disk full under /mnt/secret/1/token") };
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], SinkFailure = FailureMode.FailClosed });
        engine.Put("a", "1");
        Assert.Throws<IOException>(engine.Audit.Flush);

        var refused = Assert.Throws<PolicyViolationException>(() => engine.Put("b", "2"));

        Assert.Equal(PolicyRefusalCause.AuditUnavailable, refused.Cause);
        Assert.DoesNotContain("disk full", refused.Message);
        Assert.DoesNotContain("disk full", refused.Reason);
        Assert.Null(store.Get("b"));
        sink.Failure = null;
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task Defect2_StoreExceptionQuotingAMaskedKey_NeverReachesTheDecisionLog(string entryPoint)
    {
        foreach (bool completeAsynchronously in new[] { false, true })
        {
            using var kit = new GuardedKit();
            kit.Engine.Audit.Enable(new AuditOptions { RingSize = 1000, MaskedKeys = ["secret/**"] });
            kit.Store.CompleteAsynchronously = completeAsynchronously;
            kit.Store.Failure = () => new IOException($"constraint failed for key '{SecretKey}'");

            var thrown = await Assert.ThrowsAsync<IOException>(() => RunAsync(kit.Engine, entryPoint, SecretKey));

            Assert.Contains(SecretKey, thrown.Message); // the store's own exception reaches the caller unchanged
            AuditEntry entry = Assert.Single(kit.Audit());
            Assert.Equal(AuditResult.Failed, entry.Result);
            Assert.True(entry.IsKeyMasked);
            Assert.Contains("IOException", entry.Reason);
            Assert.DoesNotContain("secret/1", entry.Reason);
            Assert.DoesNotContain("secret/1", entry.Key);
        }
    }

    [Fact]
    public void Defect1_FailingDurableSink_StatusNamesTheSinkAndTheExceptionType_NotItsMessage()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink("ledger") { Failure = new IOException("disk full under /mnt/secret/1/token") };
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], SinkFailure = FailureMode.FailClosed });
        engine.Put("a", "1");
        Assert.Throws<IOException>(engine.Audit.Flush);

        AuditStatus status = engine.Audit.Status;

        Assert.True(status.IsFailing);
        Assert.Equal("audit sink 'ledger' failed: IOException", status.LastFailure);
        sink.Failure = null;
    }

    [Theory]
    [InlineData("put")]
    [InlineData("get")]
    [InlineData("delete")]
    [InlineData("write")]
    [InlineData("putAsync")]
    [InlineData("getAsync")]
    [InlineData("deleteAsync")]
    [InlineData("writeAsync")]
    public async Task Defect2_ApprovalRequiredForAMaskedKey_ShowsTheMaskInItsMessage(string entryPoint)
    {
        using var kit = new GuardedKit();
        kit.Engine.Audit.Enable(new AuditOptions { RingSize = 1000, MaskedKeys = ["secret/**"] });
        kit.Engine.BeforeWrite("secret/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("reviewed"));
        kit.Engine.BeforeRead("secret/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("reviewed"));
        kit.Engine.BeforeDelete("secret/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("reviewed"));

        // A single operation becomes a pending request; a batch is refused whole (it cannot wait for one item).
        var refused = await Assert.ThrowsAnyAsync<PolicyViolationException>(() => RunAsync(kit.Engine, entryPoint, SecretKey));

        Assert.Contains("masked:", refused.Message);
        Assert.DoesNotContain("secret/1", refused.Message);
        if (!entryPoint.StartsWith("write", StringComparison.Ordinal))
        {
            var pending = Refusals.CheckApprovalRequired(Assert.IsType<PolicyViolationException>(refused));
            Assert.Equal(SecretKey, pending.Approval!.Key); // the request itself holds exactly what will run
        }
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task Defect2_RefusalsOfAMaskedKey_ShowTheMaskInTheirMessage_AndNoHandlerText(string entryPoint)
    {
        using var kit = new GuardedKit();
        kit.Engine.Audit.Enable(new AuditOptions { RingSize = 1000, MaskedKeys = ["secret/**"] });
        kit.Store.Inner.Put(SecretKey, "v"); // so that a scan meets it
        PolicyDecision HandlerThrows(in PolicyRequest r) => throw new InvalidOperationException($"no access to {r.KeyText}");
        kit.Engine.BeforeWrite("secret/**", (in PolicyRequest r) => HandlerThrows(r));
        kit.Engine.BeforeRead("secret/**", (in PolicyRequest r) => HandlerThrows(r));
        kit.Engine.BeforeDelete("secret/**", (in PolicyRequest r) => HandlerThrows(r));

        var refused = await Assert.ThrowsAsync<PolicyViolationException>(() => RunAsync(kit.Engine, entryPoint, SecretKey));

        Assert.Equal(PolicyRefusalCause.HandlerFailed, refused.Cause);
        Assert.IsType<InvalidOperationException>(refused.InnerException); // the exception itself still reaches the caller
        Assert.Contains("masked:", refused.Message);
        Assert.DoesNotContain("secret/1", refused.Message);
        Assert.DoesNotContain("secret/1", refused.Reason);
        Assert.All(kit.Audit(), e =>
        {
            Assert.DoesNotContain("secret/1", e.Key);
            Assert.DoesNotContain("secret/1", e.Reason ?? "");
        });
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task Defect3_AfterDispose_EveryEntryPointThrowsObjectDisposed_AndWritesNothing(string entryPoint)
    {
        using var kit = new GuardedKit();
        kit.Store.Inner.Put("docs/a", "old");
        kit.Engine.Dispose();
        int calls = kit.Store.Calls;

        await Assert.ThrowsAsync<ObjectDisposedException>(() => RunAsync(kit.Engine, entryPoint, "docs/a"));

        Assert.Equal(calls, kit.Store.Calls);
        Assert.Equal("old", kit.Stored("docs/a"));
        Assert.Empty(kit.Audit());
    }

    [Fact]
    public async Task Defect3_DisposalRacingOperations_EveryWriteThatReachedTheStoreIsInTheDurableLog()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
        using var started = new CountdownEvent(4);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            started.Signal();
            for (int i = 0; i < 100_000; i++)
            {
                try
                {
                    engine.Put($"w{w}/{i}", "v");
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                    return;
                }
            }
        })).ToArray();
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        Thread.Sleep(20);

        await engine.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(failures);
        var audited = sink.Entries.Where(e => e.Result == AuditResult.Allowed).Select(e => e.Key).ToHashSet();
        string[] stored = store.Scan("").Select(kv => System.Text.Encoding.UTF8.GetString(kv.Key)).ToArray();
        Assert.NotEmpty(stored);
        Assert.All(stored, key => Assert.Contains(key, audited));
        Assert.Throws<ObjectDisposedException>(() => engine.Put("late", "v"));
    }

    [Fact]
    public void Defect3_AHandlerThatDisposesTheEngine_ItsOperationCompletesAudited_AndLaterOnesAreRefused()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
        engine.BeforeWrite("shutdown", (in PolicyRequest _) =>
        {
            engine.Dispose(); // must not wait for its own operation
            return PolicyAction.Allow;
        });

        engine.Put("shutdown", "now");

        Assert.Equal("now", System.Text.Encoding.UTF8.GetString(store.Get("shutdown")!));
        Assert.Equal(new[] { "shutdown/allowed" }, sink.Entries.Select(e => e.Key + "/" + AuditNames.Of(e.Result)));
        Assert.Throws<ObjectDisposedException>(() => engine.Put("after", "v"));
        Assert.Null(store.Get("after"));
    }
}
