using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SochDb;

namespace SochDb.Policy.AI.Tests.Engine;

/// <summary>The engine's approval rules (RequireApproval, engine.Approvals), one test each.</summary>
public sealed class ApprovalRuleTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly Database _store = Database.OpenInMemory();
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly PolicyEngine _engine;
    private readonly PolicyContext _alice = new() { AgentId = "alice", SessionId = "s1" };

    public ApprovalRuleTests()
    {
        _engine = new PolicyEngine(_store, new PolicyEngineOptions { TimeProvider = _clock });
        _engine.Audit.Enable();
        _engine.BeforeWrite("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees it"), "ApproveSharing");
        _engine.BeforeRead("vault/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("vault reads are reviewed"), "ReviewVaultReads");
        _engine.BeforeDelete("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("deleting shared notes is reviewed"), "ReviewDeletes");
    }

    public void Dispose() => _store.Dispose();

    private ApprovalRequest Requested(Action operation) =>
        Refusals.ApprovalRequired(operation).Approval!;

    private string? Stored(string key) => _store.TryGet(Encoding.UTF8.GetBytes(key), out byte[]? v) ? Encoding.UTF8.GetString(v) : null;

    [Fact]
    public void RequireApproval_TheOperationDoesNotRun_TheCallerGetsTheRequest()
    {
        var error = Refusals.ApprovalRequired(() => _engine.Put("shared/plan", "launch", _alice));

        ApprovalRequest request = error.Approval!;
        Assert.Null(Stored("shared/plan"));
        Assert.Matches("^[0-9a-f]{32}$", request.Id);
        Assert.Equal((PolicyOperation.Write, "shared/plan", "alice", "s1"), (request.Operation, request.Key, request.AgentId, request.SessionId));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("launch"u8)), request.ValueHash);
        Assert.Equal("[BeforeWrite(\"shared/**\")] ApproveSharing", request.Rule!.ToString());
        Assert.Equal("the team sees it", request.Reason);
        Assert.Equal((Start, Start + TimeSpan.FromMinutes(30)), (request.CreatedAt, request.ExpiresAt));
        Assert.Equal(ApprovalState.Pending, request.State);
        Assert.Same(request, Assert.Single(_engine.Approvals.Pending));
        Assert.Equal(PolicyTrigger.BeforeWrite, error.Trigger);
        Assert.Contains($"requires approval by [BeforeWrite(\"shared/**\")] ApproveSharing: the team sees it (approval {request.Id}", error.Message);
        AuditEntry entry = Assert.Single(_engine.Audit.Recent());
        Assert.Equal((AuditResult.ApprovalRequired, $"approval {request.Id} requested: the team sees it"), (entry.Result, entry.Reason));
    }

    [Fact]
    public void Approve_RunsExactlyThatOperationOnce_AsItsCaller()
    {
        byte[] value = "launch"u8.ToArray();
        ApprovalRequest request = Requested(() => _engine.Put("shared/plan"u8, value, _alice));
        value[0] = (byte)'X'; // the caller's buffer changes afterwards: the request kept its own copy

        ApprovalResult result = _engine.Approvals.Approve(request.Id, "dana");

        Assert.Same(request, result.Request);
        Assert.Equal("launch", Stored("shared/plan"));
        Assert.Equal((ApprovalState.Executed, "dana"), (request.State, request.DecidedBy));
        Assert.Empty(_engine.Approvals.Pending);
        Assert.Equal(
            [(AuditResult.ApprovalRequired, "alice"), (AuditResult.Allowed, "alice"), (AuditResult.Allowed, "alice")],
            _engine.Audit.Recent().Select(e => (e.Result, e.AgentId)));
    }

    [Fact]
    public void ReplayedApproval_ExecutesNothing()
    {
        ApprovalRequest request = Requested(() => _engine.Put("shared/plan", "v1", _alice));
        _engine.Approvals.Approve(request.Id, "dana");
        _store.Put("shared/plan", "changed since");

        var error = Refusals.NotPending(() => _engine.Approvals.Approve(request.Id, "dana"), request.Id, ApprovalState.Executed);

        Assert.Equal($"Approval \"{request.Id}\" is not pending (state Executed): it was already used; nothing was executed.", error.Message);
        Assert.True(_engine.Approvals.TryGet(request.Id, out ApprovalRequest? now));
        Assert.Equal(ApprovalState.Executed, now.State);
        Assert.Equal("changed since", Stored("shared/plan"));
        Assert.Equal((AuditResult.Denied, $"approval {request.Id} was already used; nothing was executed"),
            (_engine.Audit.Recent()[^1].Result, _engine.Audit.Recent()[^1].Reason));
    }

    [Fact]
    public void ExpiredApproval_ExecutesNothing_AndExpiryIsAudited()
    {
        ApprovalRequest request = Requested(() => _engine.Put("shared/plan", "v", _alice));
        _clock.Advance(_engine.Approvals.Lifetime);

        Assert.Empty(_engine.Approvals.Pending);
        Refusals.NotPending(() => _engine.Approvals.Approve(request.Id, "dana"), request.Id, ApprovalState.Expired);

        Assert.Equal(ApprovalState.Expired, request.State);
        Assert.Null(Stored("shared/plan"));
        Assert.Contains(_engine.Audit.Recent(), e => e.Reason == $"approval {request.Id} expired before anyone decided; nothing was executed");
    }

    [Fact]
    public void RejectedApproval_ExecutesNothing()
    {
        ApprovalRequest request = Requested(() => _engine.Put("shared/plan", "v", _alice));

        _engine.Approvals.Reject(request.Id, "not yet", rejectedBy: "dana");

        Assert.Equal((ApprovalState.Rejected, "dana", "not yet"), (request.State, request.DecidedBy, request.RejectionReason));
        Refusals.NotPending(() => _engine.Approvals.Approve(request.Id, "dana"), request.Id, ApprovalState.Rejected);
        Refusals.NotPending(() => _engine.Approvals.Reject(request.Id, "again"), request.Id, ApprovalState.Rejected);
        Assert.Null(Stored("shared/plan"));
        Assert.Contains(_engine.Audit.Recent(), e => e.Result == AuditResult.Denied && e.Reason == $"approval {request.Id} rejected by dana: not yet; nothing was executed");
    }

    [Fact]
    public void UnknownApprovalId_ExecutesNothing_AndIsAudited()
    {
        var error = Refusals.NotPending(() => _engine.Approvals.Approve("0123456789abcdef0123456789abcdef", "dana"), "0123456789abcdef0123456789abcdef", null);

        Assert.Equal("Approval \"0123456789abcdef0123456789abcdef\" is not pending: no request has that id (it was never issued, or was forgotten " +
            "long after it ended); nothing was executed.", error.Message);
        Assert.False(_engine.Approvals.TryGet("0123456789abcdef0123456789abcdef", out _));
        Assert.Equal("approval 0123456789abcdef0123456789abcdef is unknown; nothing was executed", Assert.Single(_engine.Audit.Recent()).Reason);
    }

    [Fact]
    public void DenyWins_ALaterDenyRefusesOutright_AndNoRequestIsMade()
    {
        _engine.BeforeWrite("shared/secret*", static (in PolicyRequest _) => PolicyDecision.Deny("never shared"), "NeverShareSecrets");

        var error = Assert.Throws<PolicyViolationException>(() => _engine.Put("shared/secret-plan", "v", _alice));

        Assert.Equal(PolicyRefusalCause.Denied, error.Cause);
        Assert.Null(error.Approval);
        Assert.Equal("never shared", error.Reason);
        Assert.Empty(_engine.Approvals.Pending);
        Assert.Equal(AuditResult.Denied, Assert.Single(_engine.Audit.Recent()).Result);
    }

    [Fact]
    public void ApprovedRun_OtherRulesStillApply_AndTheApprovalIsSpent()
    {
        ApprovalRequest request = Requested(() => _engine.Put("shared/plan", "v", _alice));
        _engine.BeforeWrite("shared/*", static (in PolicyRequest _) => PolicyDecision.Deny("sharing frozen"), "Freeze");

        var error = Assert.Throws<PolicyViolationException>(() => _engine.Approvals.Approve(request.Id, "dana"));

        Assert.Equal("sharing frozen", error.Reason);
        Assert.Equal(ApprovalState.Executed, request.State);
        Assert.Null(Stored("shared/plan"));
    }

    [Fact]
    public void ApprovedRun_RateLimitsStillApply()
    {
        _engine.AddRateLimit(PolicyOperation.Write, 1, PolicyContext.AgentIdItem);
        ApprovalRequest request = Requested(() => _engine.Put("shared/plan", "v", _alice)); // takes the one token

        Refusals.RateLimited(() => _engine.Approvals.Approve(request.Id, "dana"));

        Assert.Null(Stored("shared/plan"));
        Assert.Equal(ApprovalState.Executed, request.State);
    }

    [Fact]
    public void ApprovedRun_ItsPermissionCoversOnlyThatOperation()
    {
        // A handler that, during the approved run, asks for another guarded write: that one still needs its own approval.
        PolicyEngine engine = _engine;
        PolicyViolationException? inner = null;
        _engine.AfterWrite("shared/plan", (in PolicyRequest _) =>
        {
            inner = Refusals.ApprovalRequired(() => engine.Put("shared/other", "x", PolicyContext.Empty));
        }, "Chain");
        ApprovalRequest request = Requested(() => _engine.Put("shared/plan", "v", _alice));

        _engine.Approvals.Approve(request.Id, "dana");

        Assert.Equal("v", Stored("shared/plan"));
        Assert.NotNull(inner);
        Assert.Null(Stored("shared/other"));
    }

    [Fact]
    public void ApprovedRead_ReturnsTheValueTheCallerMaySee()
    {
        _store.Put("vault/pin", "1234");
        _engine.AfterRead("vault/**", Policies.RedactValue("****"), "MaskVault");
        ApprovalRequest request = Requested(() => _engine.Get("vault/pin", _alice));
        Assert.Null(request.ValueHash);

        ApprovalResult result = _engine.Approvals.Approve(request.Id, "dana");

        Assert.Equal("****", Encoding.UTF8.GetString(result.Value!));
    }

    [Fact]
    public void ApprovedDelete_SaysWhetherTheKeyWasThere()
    {
        _store.Put("shared/old", "x");
        ApprovalRequest request = Requested(() => _engine.Delete("shared/old", _alice));
        Assert.Equal("x", Stored("shared/old"));

        Assert.True(_engine.Approvals.Approve(request.Id, "dana").Removed);
        Assert.Null(Stored("shared/old"));
    }

    [Fact]
    public async Task ApproveAsync_RunsTheOperationOnceThroughTheAsyncPath()
    {
        PolicyViolationException error = await Refusals.ApprovalRequiredAsync(
            async () => await _engine.PutAsync("shared/plan", "async", _alice));

        await _engine.Approvals.ApproveAsync(error.Approval!.Id, "dana");

        Assert.Equal("async", Stored("shared/plan"));
        await Refusals.NotPendingAsync(async () => await _engine.Approvals.ApproveAsync(error.Approval.Id, "dana"), error.Approval.Id, ApprovalState.Executed);
    }

    [Fact]
    public void ConcurrentApprovals_RunTheOperationExactlyOnce()
    {
        int writes = 0;
        _engine.AfterWrite("shared/**", (in PolicyRequest _) => Interlocked.Increment(ref writes), "Count");
        ApprovalRequest request = Requested(() => _engine.Put("shared/plan", "v", _alice));
        int succeeded = 0;

        Parallel.For(0, 8, _ =>
        {
            try
            {
                _engine.Approvals.Approve(request.Id, "dana");
                Interlocked.Increment(ref succeeded);
            }
            catch (ApprovalNotPendingException refused)
            {
                Refusals.CheckNotPending(refused, request.Id, ApprovalState.Executed);
            }
        });

        Assert.Equal((1, 1), (succeeded, writes));
    }

    [Fact]
    public void RequireApprovalOnAnAfterTrigger_FailsClosed()
    {
        _store.Put("notes/a", "secret");
        _engine.AfterRead("notes/*", static (in PolicyRequest _) => PolicyDecision.RequireApproval("too late to ask"), "LateApproval");

        var error = Assert.Throws<PolicyViolationException>(() => _engine.Get("notes/a", _alice));

        Assert.Equal(PolicyRefusalCause.UndefinedVerdict, error.Cause);
        Assert.Null(error.Approval);
        Assert.Contains("cannot hold it", error.Reason);
        Assert.Empty(_engine.Approvals.Pending);
        Assert.Equal(AuditResult.Failed, Assert.Single(_engine.Audit.Recent()).Result);
    }

    [Fact]
    public void TooManyPending_RefusesTheOperation_InsteadOfQueueingWithoutBound()
    {
        _engine.Approvals.MaxPending = 2;
        Requested(() => _engine.Put("shared/a", "1", _alice));
        Requested(() => _engine.Put("shared/b", "2", _alice));

        var error = Assert.Throws<PolicyViolationException>(() => _engine.Put("shared/c", "3", _alice));

        Assert.Equal(PolicyRefusalCause.Denied, error.Cause);
        Assert.Null(error.Approval);
        Assert.Contains("2 approvals are already pending", error.Reason);
        Assert.Equal(2, _engine.Approvals.Pending.Count);
    }

    [Fact]
    public void Scan_SkipsAKeyThatNeedsApproval_AndAuditsIt()
    {
        _store.Put("vault/a", "1");
        _store.Put("vault/b", "2");
        _engine.BeforeRead("vault/b", static (in PolicyRequest _) => PolicyDecision.Allow, "AllowB");

        List<string> seen = _engine.Scan("vault/", _alice).Select(e => Encoding.UTF8.GetString(e.Key)).ToList();

        Assert.Empty(seen);
        Assert.Empty(_engine.Approvals.Pending);
        Assert.All(_engine.Audit.Recent(), e => Assert.Equal(AuditResult.ApprovalRequired, e.Result));
        Assert.Contains("skipped by the scan", _engine.Audit.Recent()[0].Reason);
    }

    [Fact]
    public void Batch_WithAnItemThatNeedsApproval_IsRefusedWhole()
    {
        var batch = new WriteBatch();
        batch.Put("notes/a", "1");
        batch.Put("shared/plan", "2");

        var error = Assert.Throws<PolicyViolationException>(() => _engine.Write(batch, _alice));

        Assert.Equal((PolicyRefusalCause.Denied, (int?)1), (error.Cause, error.BatchItemIndex));
        Assert.Null(error.Approval);
        Assert.Contains("batch item 1 of 2 (BeforeWrite) requires approval (the team sees it)", error.Reason);
        Assert.Null(Stored("notes/a"));
        Assert.Empty(_engine.Approvals.Pending);
        Assert.Equal(AuditResult.ApprovalRequired, Assert.Single(_engine.Audit.Recent()).Result);
    }

    [Fact]
    public void RequireApproval_NeedsAReason()
    {
        Assert.Throws<ArgumentException>(() => PolicyDecision.RequireApproval(""));
        Assert.Equal("RequireApproval(why)", PolicyDecision.RequireApproval("why").ToString());
    }
}
