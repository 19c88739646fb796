using SochDb.Policy.Tests.Audit;
using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>Every refusal says why in <see cref="PolicyViolationException.Cause"/>, a value callers switch on.</summary>
public sealed class RefusalCauseTests
{
    [Fact]
    public void Cause_Denied_WhenAHandlerDenies()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("k", (in PolicyRequest _) => PolicyAction.Deny);

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "v"));

        Assert.Equal(PolicyRefusalCause.Denied, refused.Cause);
    }

    [Fact]
    public void Cause_HandlerFailed_WhenAHandlerThrows_InASingleOperationAndInABatch()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("k", (in PolicyRequest _) => throw new InvalidOperationException("boom"));

        var single = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "v"));
        var batch = Assert.Throws<PolicyViolationException>(() => kit.Engine.Write(new WriteBatch().Put("k", "v")));

        Assert.Equal(PolicyRefusalCause.HandlerFailed, single.Cause);
        Assert.Equal(PolicyRefusalCause.HandlerFailed, batch.Cause);
    }

    [Fact]
    public void Cause_UndefinedVerdict_WhenAHandlerReturnsAVerdictItsTriggerDoesNotAllow()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeRead("k", (in PolicyRequest _) => PolicyDecision.Modify("x"u8.ToArray()));
        kit.Engine.BeforeDelete("k", (in PolicyRequest _) => (PolicyAction)42);

        var read = Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("k"));
        var delete = Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("k"));
        var batch = Assert.Throws<PolicyViolationException>(() => kit.Engine.Write(new WriteBatch().Delete("k")));

        Assert.Equal(PolicyRefusalCause.UndefinedVerdict, read.Cause);
        Assert.Equal(PolicyRefusalCause.UndefinedVerdict, delete.Cause);
        Assert.Equal(PolicyRefusalCause.UndefinedVerdict, batch.Cause);
    }

    [Fact]
    public void Cause_NestingTooDeep_ForTheInnermostRefusal()
    {
        using var kit = new GuardedKit(new PolicyEngineOptions { MaxNestingDepth = 1 });
        PolicyEngine engine = kit.Engine;
        PolicyViolationException? inner = null;
        engine.BeforeWrite("outer", (in PolicyRequest _) =>
        {
            try
            {
                engine.Put("inner", "1");
            }
            catch (PolicyViolationException refused)
            {
                inner = refused;
            }

            return PolicyAction.Allow;
        });

        engine.Put("outer", "1");

        Assert.NotNull(inner);
        Assert.Equal(PolicyRefusalCause.NestingTooDeep, inner.Cause);
        Assert.Null(kit.Stored("inner"));
    }

    [Fact]
    public void Cause_AuditUnavailable_WhileAFailClosedDurableSinkFails()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
        sink.Failure = new IOException("disk full");
        engine.Put("a", "1");
        Assert.Throws<IOException>(engine.Audit.Flush);

        var refused = Assert.Throws<PolicyViolationException>(() => engine.Put("b", "2"));

        Assert.Equal(PolicyRefusalCause.AuditUnavailable, refused.Cause);
        Assert.Null(store.Get("b"));
        sink.Failure = null;
    }

    [Fact]
    public void Cause_LimitBackendUnavailable_WhenTheSharedBackendFailsClosed()
    {
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = new FailingBackend() });
        kit.Engine.AddRateLimit(PolicyOperation.All, 10, "agent_id");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "v", Agent("a1")));

        Assert.Equal(PolicyRefusalCause.LimitBackendUnavailable, refused.Cause);
    }

    [Fact]
    public void Cause_RateLimited_CarriesTheLimitItsScopeValueAndRetryAfter_AndNoOtherCausesData()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 1, "agent_id");
        kit.Engine.Put("k", "1", Agent("a1"));

        var limited = Refusals.RateLimited(() => kit.Engine.Put("k", "2", Agent("a1")));

        Assert.Equal(PolicyRefusalCause.RateLimited, limited.Cause);
        Assert.Equal("Write 1/min per agent_id", limited.RateLimit!.ToString());
        Assert.Equal(("agent_id", "a1"), (limited.RateLimit.Scope, limited.ScopeValue));
        Assert.Equal(TimeSpan.FromMinutes(1), limited.RetryAfter);
        Assert.Equal((PolicyOperation.Write, "k", "a1"), (limited.Operation, limited.Key, limited.AgentId));
        Assert.Null(limited.Approval);
        Assert.Null(limited.BatchItemIndex);
        Assert.Equal("rate limit of 1 write operations a minute per agent_id (\"a1\") exhausted; retry after 60 s", limited.Reason);
        Assert.Equal("1", kit.Stored("k"));
    }

    [Fact]
    public void Cause_RateLimited_ForABatchAndAScan()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.All, 1, "global");
        kit.Engine.Put("k", "1");

        var batch = Refusals.RateLimited(() => kit.Engine.Write(new WriteBatch().Put("a", "1")));
        var scan = Refusals.RateLimited(() => kit.Engine.Scan("").ToList());

        Assert.Null(batch.ScopeValue); // a global limit has no scope value
        Assert.Equal("global", scan.RateLimit!.Scope);
        Assert.Null(batch.BatchItemIndex); // the whole batch, before any item was judged
    }

    [Fact]
    public async Task Cause_RateLimited_OnTheAsyncPath()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.Delete, 1, "session_id");
        await kit.Engine.DeleteAsync("k"u8.ToArray(), new PolicyContext { SessionId = "s1" });

        var limited = await Refusals.RateLimitedAsync(async () => await kit.Engine.DeleteAsync("k"u8.ToArray(), new PolicyContext { SessionId = "s1" }));

        Assert.Equal(("session_id", "s1", PolicyOperation.Delete), (limited.RateLimit!.Scope, limited.ScopeValue, limited.Operation));
    }

    [Fact]
    public void Cause_ApprovalRequired_CarriesThePendingRequest_AndNoOtherCausesData()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("shared/*", (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees it"), "ApproveSharing");

        var held = Refusals.ApprovalRequired(() => kit.Engine.Put("shared/plan", "launch", Agent("a1")));

        Assert.Equal(PolicyRefusalCause.ApprovalRequired, held.Cause);
        ApprovalRequest request = held.Approval!;
        Assert.Equal(request.Id, Assert.Single(kit.Engine.Approvals.Pending).Id);
        Assert.Equal((PolicyTrigger?)PolicyTrigger.BeforeWrite, held.Trigger);
        Assert.Equal(("the team sees it", "a1", "ApproveSharing"), (held.Reason, held.AgentId, held.HandlerName));
        Assert.Null(held.BatchItemIndex);
        Assert.Contains($"(approval {request.Id}, pending until ", held.Message);
        Assert.Null(kit.Stored("shared/plan"));
    }

    [Fact]
    public void Cause_Denied_ForABatchItemThatNeedsApproval_AndWhenTooManyRequestsArePending_WithoutARequest()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("shared/*", (in PolicyRequest _) => PolicyDecision.RequireApproval("reviewed"), "Review");

        var batch = Assert.Throws<PolicyViolationException>(() => kit.Engine.Write(new WriteBatch().Put("shared/a", "1")));
        kit.Engine.Approvals.MaxPending = 1;
        Refusals.ApprovalRequired(() => kit.Engine.Put("shared/b", "1"));
        var full = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("shared/c", "1"));

        Assert.Equal((PolicyRefusalCause.Denied, (int?)0), (batch.Cause, batch.BatchItemIndex));
        Assert.Equal(PolicyRefusalCause.Denied, full.Cause);
        Refusals.AssertNoCauseData(batch);
        Refusals.AssertNoCauseData(full);
        Assert.Single(kit.Engine.Approvals.Pending);
    }

    [Fact]
    public void OtherCauses_CarryNeitherRateLimitNorApprovalData()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("denied", (in PolicyRequest _) => PolicyAction.Deny);
        kit.Engine.BeforeWrite("failing", (in PolicyRequest _) => throw new InvalidOperationException("boom"));
        kit.Engine.BeforeDelete("undefined", (in PolicyRequest _) => (PolicyAction)42);

        Refusals.AssertNoCauseData(Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("denied", "v")));
        Refusals.AssertNoCauseData(Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("failing", "v")));
        Refusals.AssertNoCauseData(Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("undefined")));
    }

    [Fact]
    public void Constructor_GivesDenied_OrHandlerFailedWithAnInnerException_AndNoCauseData()
    {
        var denied = new PolicyViolationException(PolicyOperation.Read, "k"u8, null, null, null, null);
        var failed = new PolicyViolationException(PolicyOperation.Read, "k"u8, null, null, null, null, new InvalidOperationException());

        Assert.Equal(PolicyRefusalCause.Denied, denied.Cause);
        Assert.Equal(PolicyRefusalCause.HandlerFailed, failed.Cause);
        Refusals.AssertNoCauseData(denied);
        Refusals.AssertNoCauseData(failed);
    }

    private sealed class FailingBackend : RateLimitBackend
    {
        internal override RateLimitBackendResult TryAcquire(ReadOnlySpan<RateLimitAcquisition> acquisitions) =>
            throw new TimeoutException("down");

        internal override ValueTask<RateLimitBackendResult> TryAcquireAsync(ReadOnlyMemory<RateLimitAcquisition> acquisitions,
            CancellationToken cancellationToken = default) => throw new TimeoutException("down");
    }
}
