using System.Collections.Concurrent;
using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>
/// Cancellation at each stage of the one pipeline, and rules replaced while writes run: each operation refuses or
/// completes, with an audit entry, and nothing reaches the store unaudited.
/// </summary>
public sealed class PipelineStageTests
{
    /// <summary>A shared limit backend that waits until the caller cancels.</summary>
    private sealed class HangingBackend : RateLimitBackend
    {
        internal override RateLimitBackendResult TryAcquire(ReadOnlySpan<RateLimitAcquisition> acquisitions) => RateLimitBackendResult.Acquired;

        internal override async ValueTask<RateLimitBackendResult> TryAcquireAsync(ReadOnlyMemory<RateLimitAcquisition> acquisitions,
            CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return RateLimitBackendResult.Acquired;
        }
    }

    [Fact]
    public async Task Cancellation_WhileTheLimitBackendIsAsked_RefusesAudited_AndTheStoreIsNotCalled()
    {
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = new HangingBackend() });
        kit.Engine.AddRateLimit(PolicyOperation.All, 10, "agent_id");
        using var cancel = new CancellationTokenSource();

        ValueTask put = kit.Engine.PutAsync("k", "v", Agent("a1"), cancel.Token);
        Assert.False(put.IsCompleted);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => put.AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, kit.Store.Calls);
        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Failed, entry.Result);
        Assert.Contains("cancelled", entry.Reason);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("delete")]
    [InlineData("write")]
    public async Task Cancellation_AfterTheDecision_BeforeTheStore_ChangesNothing_AndIsRecordedAsFailed(string operation)
    {
        using var kit = new GuardedKit();
        kit.Store.Inner.Put("k", "old");
        using var cancel = new CancellationTokenSource();
        PolicyHandler cancelling = (in PolicyRequest _) =>
        {
            cancel.Cancel();
            return PolicyAction.Allow;
        };
        kit.Engine.BeforeRead("k", cancelling);
        kit.Engine.BeforeDelete("k", cancelling);
        kit.Engine.BeforeWrite("k", cancelling);
        int calls = kit.Store.Calls;

        Task run = operation switch
        {
            "get" => kit.Engine.GetAsync("k", null, cancel.Token).AsTask(),
            "delete" => kit.Engine.DeleteAsync("k", null, cancel.Token).AsTask(),
            _ => kit.Engine.WriteAsync(new WriteBatch().Put("k", "new"), null, cancel.Token).AsTask(),
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(calls, kit.Store.Calls);
        Assert.Equal("old", kit.Stored("k"));
        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Failed, entry.Result);
        Assert.Contains("cancelled before the store", entry.Reason);
    }

    [Fact]
    public async Task Cancellation_InsideTheStore_IsRecordedAsFailed_WithTheExceptionsType()
    {
        using var kit = new GuardedKit();
        kit.Store.CompleteAsynchronously = true;
        using var cancel = new CancellationTokenSource();
        kit.Store.Failure = () =>
        {
            cancel.Cancel(); // the caller gives up while the store works
            return new OperationCanceledException(cancel.Token);
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kit.Engine.PutAsync("k", "v", null, cancel.Token).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(30)));

        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Failed, entry.Result);
        Assert.Contains("cancelled in the store", entry.Reason);
    }

    [Fact]
    public async Task Cancellation_DuringAScan_StopsIt_AndEveryYieldedEntryWasAudited()
    {
        using var kit = new GuardedKit();
        for (int i = 0; i < 10; i++)
        {
            kit.Store.Inner.Put($"docs/{i}", "v");
        }

        using var cancel = new CancellationTokenSource();
        int yielded = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in kit.Engine.ScanAsync("docs/", null, cancel.Token))
            {
                if (++yielded == 3)
                {
                    cancel.Cancel();
                }
            }
        });

        Assert.Equal(3, yielded);
        Assert.Equal(3, kit.Audit().Count(e => e.Result == AuditResult.Allowed));
    }

    [Fact]
    public async Task ReloadRacingWrites_EachWriteIsJudgedByOneRuleSet_AndEveryStoredKeyWasAuditedAllowed()
    {
        using var kit = new GuardedKit();
        PolicyEngine engine = kit.Engine;
        PolicyRuleInfo[] deny = [new(PolicyTrigger.BeforeWrite, "docs/**", Policies.DenyAll, name: "deny")];
        PolicyRuleInfo[] allow = [new(PolicyTrigger.BeforeWrite, "docs/**", Policies.AllowAll, name: "allow")];
        PolicyRegistration current = engine.RegisterRules(allow);
        var failures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        int refused = 0;
        Task[] writers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 2000; i++)
            {
                try
                {
                    engine.Put($"docs/{w}/{i}", "v");
                }
                catch (PolicyViolationException e) when (e.Cause == PolicyRefusalCause.Denied)
                {
                    Interlocked.Increment(ref refused);
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                }
            }
        })).ToArray();
        Task reloader = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested && i < 10_000; i++)
            {
                current = engine.RegisterRules(i % 2 == 0 ? deny : allow, replacing: current);
            }
        });

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(120));
        stop.Cancel();
        await reloader.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(failures);
        IReadOnlyList<AuditEntry> audit = kit.Audit();
        Assert.Equal(6000, audit.Count);
        Assert.Equal(refused, audit.Count(e => e.Result == AuditResult.Denied));
        var allowed = audit.Where(e => e.Result == AuditResult.Allowed).Select(e => e.Key).ToHashSet();
        string[] stored = kit.Snapshot().Select(s => s[..s.IndexOf('=')]).ToArray();
        Assert.Equal(allowed.Count, stored.Length);
        Assert.All(stored, key => Assert.Contains(key, allowed));
    }
}
