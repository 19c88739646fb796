using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace SochDb.Policy.Tests.Approvals;

/// <summary>
/// ApproveAsync, RejectAsync and ListPendingAsync ask the approval store through its asynchronous members only (never
/// blocking on the synchronous ones), and an approved operation runs through the engine's asynchronous pipeline (the
/// data store's asynchronous members). Recorded by doubles of both stores.
/// </summary>
public sealed class AsyncApprovalTests : IDisposable
{
    private readonly RecordingApprovalStore _approvals = new();
    private readonly RecordingStore _store = new();
    private readonly PolicyEngine _engine;
    private readonly PolicyContext _alice = new() { AgentId = "alice", SessionId = "s1" };

    public AsyncApprovalTests()
    {
        _engine = new PolicyEngine(_store, new PolicyEngineOptions { ApprovalStore = _approvals });
        _engine.Audit.Enable();
        _engine.BeforeWrite("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees it"), "ApproveSharing");
        _engine.BeforeDelete("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees it"), "ApproveSharingDeletes");
    }

    public void Dispose()
    {
        _engine.Dispose();
        _store.Dispose();
    }

    private string Request(string key) => Refusals.ApprovalRequired(() => _engine.Put(key, "launch", _alice)).Approval!.Id;

    [Fact]
    public async Task ApproveAsync_UsesOnlyTheStoresAsyncMembers_AndRunsTheWriteThroughPutAsync()
    {
        string id = Request("shared/plan");
        _approvals.Calls.Clear();
        _store.Calls.Clear();

        ApprovalResult result = await _engine.Approvals.ApproveAsync(id, "dana");

        Assert.Equal(ApprovalState.Executed, result.Request.State);
        Assert.Equal(["ExpireOverdueAsync", "TryDecideAsync"], _approvals.Calls);
        Assert.Equal(["PutAsync"], _store.Calls);
        Assert.True(_store.Inner.TryGet("shared/plan"u8, out byte[]? value));
        Assert.Equal("launch", Encoding.UTF8.GetString(value));
    }

    [Fact]
    public async Task ApproveAsync_OfADelete_RunsDeleteAsync()
    {
        _store.Inner.Put("shared/old"u8, "x"u8);
        string id = Refusals.ApprovalRequired(() => _engine.Delete("shared/old", _alice)).Approval!.Id;
        _store.Calls.Clear();

        ApprovalResult result = await _engine.Approvals.ApproveAsync(id, "dana");

        Assert.True(result.Removed);
        Assert.Equal(["DeleteAsync"], _store.Calls);
    }

    [Fact]
    public async Task RejectAsync_AndListPendingAsync_UseOnlyTheStoresAsyncMembers_AndNothingRuns()
    {
        string first = Request("shared/a");
        string second = Request("shared/b");
        _approvals.Calls.Clear();
        _store.Calls.Clear();

        IReadOnlyList<ApprovalRequest> pending = await _engine.Approvals.ListPendingAsync();
        await _engine.Approvals.RejectAsync(first, "not today", "erin");

        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), pending.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["ExpireOverdueAsync", "ListPendingAsync", "ExpireOverdueAsync", "TryDecideAsync"], _approvals.Calls);
        Assert.Empty(_store.Calls);
        Assert.Equal(second, Assert.Single(await _engine.Approvals.ListPendingAsync()).Id);
        Assert.Contains(_engine.Audit.Recent(), e => e.Reason == $"approval {first} rejected by erin: not today; nothing was executed");
    }

    [Fact]
    public async Task ApproveAsync_StoreDown_ClearError_Audited_NothingRuns_RequestKept()
    {
        string id = Request("shared/plan");
        _approvals.Failure = () => new IOException("Cannot decide an approval in the test store: it is down.");
        _store.Calls.Clear();

        var error = await Assert.ThrowsAsync<IOException>(async () => await _engine.Approvals.ApproveAsync(id, "dana"));

        Assert.Equal("Cannot decide an approval in the test store: it is down.", error.Message);
        Assert.Empty(_store.Calls);
        Assert.Contains(_engine.Audit.Recent(), e => e.Result == AuditResult.Failed
            && e.Reason == $"approval {id} could not be decided: the approval store failed (IOException); nothing was executed");
        _approvals.Failure = null;
        Assert.Equal(id, Assert.Single(await _engine.Approvals.ListPendingAsync()).Id);
    }

    [Fact]
    public async Task ApproveAsync_CancelledBeforeTheClaim_DecidesNothing()
    {
        string id = Request("shared/plan");
        _approvals.Calls.Clear();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _engine.Approvals.ApproveAsync(id, "dana", cancelled.Token));

        Assert.DoesNotContain("TryDecideAsync", _approvals.Calls);
        Assert.Equal(ApprovalState.Pending, _approvals.Inner.Find(id)!.State);
    }

    [Fact]
    public async Task ForgedIds_AreRefusedWithoutAskingTheStore()
    {
        _approvals.Calls.Clear();

        await Refusals.NotPendingAsync(async () => await _engine.Approvals.ApproveAsync("' OR 1=1 --", "mallory"), "' OR 1=1 --", null);
        await Refusals.NotPendingAsync(async () => await _engine.Approvals.RejectAsync("../../etc", null), "../../etc", null);

        Assert.Empty(_approvals.Calls);
    }

    /// <summary>An approval store in memory that records each member called and completes its asynchronous ones asynchronously.</summary>
    private sealed class RecordingApprovalStore : IApprovalStore
    {
        public InMemoryApprovalStore Inner { get; } = new();

        public ConcurrentQueue<string> Calls { get; } = new();

        public Func<Exception>? Failure { get; set; }

        private void Enter(string member)
        {
            Calls.Enqueue(member);
            if (Failure is { } failure)
            {
                throw failure();
            }
        }

        public bool TryAdd(ApprovalRequest request, int maxPending) => Inner.TryAdd(request, maxPending);

        public ApprovalRequest? Find(string approvalId)
        {
            Enter(nameof(Find));
            return Inner.Find(approvalId);
        }

        public IReadOnlyList<ApprovalRequest> ListPending(DateTimeOffset now, int limit)
        {
            Enter(nameof(ListPending));
            return Inner.ListPending(now, limit);
        }

        public ApprovalState? TryDecide(string approvalId, ApprovalState decision, DateTimeOffset now, string? decidedBy, string? rejectionReason,
            out ApprovalRequest? request)
        {
            Enter(nameof(TryDecide));
            return Inner.TryDecide(approvalId, decision, now, decidedBy, rejectionReason, out request);
        }

        public IReadOnlyList<ApprovalRequest> ExpireOverdue(DateTimeOffset now, int limit)
        {
            // Registration (the engine's synchronous Put) expires overdue requests too; only calls made while deciding count.
            return Inner.ExpireOverdue(now, limit);
        }

        public int Forget(DateTimeOffset endedBefore) => Inner.Forget(endedBefore);

        public async ValueTask<IReadOnlyList<ApprovalRequest>> ListPendingAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Enter(nameof(ListPendingAsync));
            return Inner.ListPending(now, limit);
        }

        public async ValueTask<(ApprovalState? Was, ApprovalRequest? Request)> TryDecideAsync(string approvalId, ApprovalState decision, DateTimeOffset now,
            string? decidedBy, string? rejectionReason, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Enter(nameof(TryDecideAsync));
            ApprovalState? was = Inner.TryDecide(approvalId, decision, now, decidedBy, rejectionReason, out ApprovalRequest? request);
            return (was, request);
        }

        public async ValueTask<IReadOnlyList<ApprovalRequest>> ExpireOverdueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Enter(nameof(ExpireOverdueAsync));
            return Inner.ExpireOverdue(now, limit);
        }
    }

    /// <summary>A data store in memory that records which of its members the engine called.</summary>
    private sealed class RecordingStore : IKeyValueStore
    {
        public Database Inner { get; } = Database.OpenInMemory();

        public ConcurrentQueue<string> Calls { get; } = new();

        public void Dispose() => Inner.Dispose();

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            Calls.Enqueue(nameof(Put));
            Inner.Put(key, value);
        }

        public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
        {
            Calls.Enqueue(nameof(TryGet));
            return Inner.TryGet(key, out value);
        }

        public bool Delete(ReadOnlySpan<byte> key)
        {
            Calls.Enqueue(nameof(Delete));
            return Inner.Delete(key);
        }

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix)
        {
            Calls.Enqueue(nameof(Scan));
            return Inner.Scan(prefix);
        }

        public void Write(WriteBatch batch)
        {
            Calls.Enqueue(nameof(Write));
            Inner.Write(batch);
        }

        public async ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Calls.Enqueue(nameof(PutAsync));
            Inner.Put(key.Span, value.Span);
        }

        public async ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Calls.Enqueue(nameof(GetAsync));
            return Inner.TryGet(key.Span, out byte[]? value) ? value : null;
        }

        public async ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Calls.Enqueue(nameof(DeleteAsync));
            return Inner.Delete(key.Span);
        }

        public async ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Calls.Enqueue(nameof(WriteAsync));
            Inner.Write(batch);
        }
    }
}
