using System.Text;
using Microsoft.Extensions.Time.Testing;
using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Approvals;

/// <summary>Approval requests in the SQLite file of the store: they survive a restart and any engine over the file decides them.</summary>
public sealed class DurableApprovalTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TestDirectory _directory = new();
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly PolicyContext _alice = new PolicyContext { AgentId = "alice", SessionId = "s1" }.With("team", "blue");
    private readonly List<IDisposable> _open = [];

    public void Dispose()
    {
        for (int i = _open.Count - 1; i >= 0; i--)
        {
            _open[i].Dispose();
        }

        _directory.Dispose();
    }

    private string DbPath => _directory.File("app.db");

    /// <summary>An engine over the shared file (as one process of an app would open it), with the approval rule unless told otherwise.</summary>
    private (Database Store, PolicyEngine Engine) OpenApp(bool approvalRule = true, IApprovalStore? approvals = null)
    {
        Database store = Database.Open(DbPath);
        var engine = new PolicyEngine(store, new PolicyEngineOptions { TimeProvider = _clock, ApprovalStore = approvals });
        engine.Audit.Enable();
        if (approvalRule)
        {
            engine.BeforeWrite("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees it"), "ApproveSharing");
        }

        _open.Add(store);
        _open.Add(engine);
        return (store, engine);
    }

    private static string? Read(Database store, string key) =>
        store.TryGet(Encoding.UTF8.GetBytes(key), out byte[]? value) ? Encoding.UTF8.GetString(value) : null;

    private static ApprovalRequest Requested(PolicyEngine engine, string key, string value, PolicyContext context) =>
        Refusals.ApprovalRequired(() => engine.Put(key, value, context)).Approval!;

    [Fact]
    public void PendingRequest_SurvivesARestart_AndAnotherEngineRunsItOnce()
    {
        (Database first, PolicyEngine requester) = OpenApp();
        string id = Requested(requester, "shared/plan", "launch", _alice).Id;
        requester.Dispose();
        first.Dispose();

        (Database store, PolicyEngine approver) = OpenApp();
        ApprovalRequest pending = Assert.Single(approver.Approvals.Pending);
        Assert.Equal((id, PolicyOperation.Write, "shared/plan", "alice", "s1", "blue"),
            (pending.Id, pending.Operation, pending.Key, pending.AgentId, pending.SessionId, pending.Context.Get("team")));
        Assert.Equal(("the team sees it", "[BeforeWrite(\"shared/**\")] ApproveSharing"), (pending.Reason, pending.Rule!.ToString()));
        Assert.Equal((Start, Start.AddMinutes(30), 6), (pending.CreatedAt, pending.ExpiresAt, pending.ValueLength));
        Assert.Equal("launch", pending.PreviewValue());

        ApprovalResult result = approver.Approvals.Approve(id, "dana");

        Assert.Equal("launch", Read(store, "shared/plan"));
        Assert.Equal((ApprovalState.Executed, "dana"), (result.Request.State, result.Request.DecidedBy));
        Assert.Empty(approver.Approvals.Pending);
        Assert.True(approver.Approvals.TryGet(id, out ApprovalRequest? after));
        Assert.Equal(ApprovalState.Executed, after.State);
        Refusals.NotPending(() => approver.Approvals.Approve(id, "dana"), id, ApprovalState.Executed);
        Assert.Equal(
            [(AuditResult.Allowed, $"approval {id} granted by dana; running it once"), (AuditResult.Allowed, null), (AuditResult.Denied, $"approval {id} was already used; nothing was executed")],
            approver.Audit.Recent().Select(e => (e.Result, e.Result == AuditResult.Allowed && e.Reason?.StartsWith("approval", StringComparison.Ordinal) != true ? null : e.Reason)));
    }

    [Fact]
    public void TwoEnginesOverOneFile_ManyThreadsApprovingOneId_ExactlyOneRunsIt()
    {
        (Database store, PolicyEngine a) = OpenApp();
        (_, PolicyEngine b) = OpenApp();
        string id = Requested(a, "shared/plan", "launch", _alice).Id;
        int ran = 0, refused = 0;
        using var go = new Barrier(8);

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            PolicyEngine engine = i % 2 == 0 ? a : b;
            go.SignalAndWait(TimeSpan.FromSeconds(30));
            try
            {
                engine.Approvals.Approve(id, "approver-" + i);
                Interlocked.Increment(ref ran);
            }
            catch (ApprovalNotPendingException e)
            {
                Refusals.CheckNotPending(e, id, ApprovalState.Executed);
                Assert.Equal((id, ApprovalState.Executed), (e.ApprovalId, e.State));
                Interlocked.Increment(ref refused);
            }
        });

        Assert.Equal((1, 7), (ran, refused));
        Assert.Equal("launch", Read(store, "shared/plan"));
        int writes = a.Audit.Recent().Concat(b.Audit.Recent()).Count(e => e.Operation == PolicyOperation.Write && e.Result == AuditResult.Allowed && e.Reason is null);
        Assert.Equal(1, writes);
    }

    [Fact]
    public void RejectedInOneEngine_CannotBeApprovedInAnother()
    {
        (Database store, PolicyEngine a) = OpenApp();
        (_, PolicyEngine b) = OpenApp();
        string id = Requested(a, "shared/plan", "launch", _alice).Id;

        b.Approvals.Reject(id, "not today", "erin");

        Refusals.NotPending(() => a.Approvals.Approve(id, "dana"), id, ApprovalState.Rejected);
        Assert.Null(Read(store, "shared/plan"));
        Assert.True(a.Approvals.TryGet(id, out ApprovalRequest? request));
        Assert.Equal((ApprovalState.Rejected, "erin", "not today"), (request.State, request.DecidedBy, request.RejectionReason));
    }

    [Fact]
    public void ExpiredRequest_Approved_ExecutesNothing()
    {
        (Database store, PolicyEngine engine) = OpenApp();
        string id = Requested(engine, "shared/plan", "launch", _alice).Id;
        _clock.Advance(TimeSpan.FromMinutes(31));

        Refusals.NotPending(() => engine.Approvals.Approve(id, "dana"), id, ApprovalState.Expired);

        Assert.Null(Read(store, "shared/plan"));
        Assert.Contains(engine.Audit.Recent(), e => e.Reason == $"approval {id} has expired; nothing was executed");
    }

    [Fact]
    public void ExpiredRequest_IsExpiredAndAuditedOnce_ByWhicheverEngineNoticesFirst()
    {
        (_, PolicyEngine a) = OpenApp();
        (_, PolicyEngine b) = OpenApp();
        string id = Requested(a, "shared/plan", "launch", _alice).Id;
        _clock.Advance(TimeSpan.FromMinutes(30));

        Assert.Empty(b.Approvals.Pending);
        Assert.Empty(a.Approvals.Pending);

        string expired = $"approval {id} expired before anyone decided; nothing was executed";
        Assert.Single(b.Audit.Recent(), e => e.Reason == expired);
        Assert.DoesNotContain(a.Audit.Recent(), e => e.Reason == expired);
    }

    [Fact]
    public void RuleTurnedIntoADenySinceTheRequest_TheDenyWins_AndTheApprovalIsSpent()
    {
        (Database first, PolicyEngine requester) = OpenApp();
        string id = Requested(requester, "shared/plan", "launch", _alice).Id;
        (Database store, PolicyEngine approver) = OpenApp(approvalRule: false);
        approver.BeforeWrite("shared/**", static (in PolicyRequest _) => PolicyDecision.Deny("sharing is closed"), "CloseSharing");

        var denied = Assert.Throws<PolicyViolationException>(() => approver.Approvals.Approve(id, "dana"));

        Assert.Equal("sharing is closed", denied.Reason);
        Assert.Null(Read(store, "shared/plan"));
        Assert.True(requester.Approvals.TryGet(id, out ApprovalRequest? request));
        Assert.Equal(ApprovalState.Executed, request.State);
        Assert.Equal(
            [AuditResult.Allowed, AuditResult.Denied],
            approver.Audit.Recent().Select(e => e.Result));
    }

    [Fact]
    public void RuleRemovedSinceTheRequest_TheOperationRunsUnderTheRulesOfNow()
    {
        (_, PolicyEngine requester) = OpenApp();
        string id = Requested(requester, "shared/plan", "launch", _alice).Id;
        (Database store, PolicyEngine approver) = OpenApp(approvalRule: false);

        approver.Approvals.Approve(id, "dana");

        Assert.Equal("launch", Read(store, "shared/plan"));
    }

    [Fact]
    public void RateLimitOfTheApprovingEngine_Applies()
    {
        (_, PolicyEngine requester) = OpenApp();
        string id = Requested(requester, "shared/plan", "launch", _alice).Id;
        (Database store, PolicyEngine approver) = OpenApp();
        approver.AddRateLimit(PolicyOperation.Write, 1, RateLimitRule.AgentIdScope);
        approver.Put("notes/1", "x", _alice);

        Refusals.RateLimited(() => approver.Approvals.Approve(id, "dana"));

        Assert.Null(Read(store, "shared/plan"));
    }

    [Fact]
    public void ForgedIds_AreUnknown_Audited_AndRunNothing()
    {
        (Database store, PolicyEngine engine) = OpenApp();
        Requested(engine, "shared/plan", "launch", _alice);

        foreach (string forged in new[] { "../../etc/passwd", "' OR 1=1 --", new string('a', 32), "" })
        {
            Refusals.NotPending(() => engine.Approvals.Approve(forged, "mallory"), forged, null);
            Assert.False(engine.Approvals.TryGet(forged, out _));
        }

        Assert.Null(Read(store, "shared/plan"));
        Assert.Equal(4, engine.Audit.Recent().Count(e => e.Reason?.EndsWith("is unknown; nothing was executed", StringComparison.Ordinal) == true));
        Assert.Single(engine.Approvals.Pending);
    }

    [Fact]
    public void ApprovalStoreDown_WhileApproving_ClearError_NothingRuns_RequestUnchanged()
    {
        string approvalsPath = _directory.File("approvals.db");
        Database.Open(approvalsPath).Dispose();
        var approvals = new SqliteApprovalStore(approvalsPath);
        (Database store, PolicyEngine engine) = OpenApp(approvals: approvals);
        string id = Requested(engine, "shared/plan", "launch", _alice).Id;
        File.Move(approvalsPath, approvalsPath + ".away");

        var error = Assert.Throws<IOException>(() => engine.Approvals.Approve(id, "dana"));

        Assert.Contains(approvalsPath, error.Message);
        Assert.Null(Read(store, "shared/plan"));
        Assert.Contains(engine.Audit.Recent(), e => e.Result == AuditResult.Failed
            && e.Reason == $"approval {id} could not be decided: the approval store failed (IOException); nothing was executed");
        File.Move(approvalsPath + ".away", approvalsPath);
        Assert.Equal(id, Assert.Single(engine.Approvals.Pending).Id);
    }

    [Fact]
    public void ApprovalStoreDown_WhenRequesting_ClearError_NothingRuns()
    {
        string approvalsPath = _directory.File("approvals.db");
        Database.Open(approvalsPath).Dispose();
        (Database store, PolicyEngine engine) = OpenApp(approvals: new SqliteApprovalStore(approvalsPath));
        Assert.Empty(engine.Approvals.Pending);
        File.Delete(approvalsPath);

        Assert.Throws<IOException>(() => engine.Put("shared/plan", "launch", _alice));

        Assert.Null(Read(store, "shared/plan"));
        Assert.Contains(engine.Audit.Recent(), e => e.Result == AuditResult.Failed
            && e.Reason!.StartsWith("approval required (the team sees it), but the approval store could not record the request", StringComparison.Ordinal));
    }

    [Fact]
    public void MaxPending_IsCountedInTheStore_AcrossEngines()
    {
        (_, PolicyEngine a) = OpenApp();
        (_, PolicyEngine b) = OpenApp();
        a.Approvals.MaxPending = 2;
        b.Approvals.MaxPending = 2;
        Requested(a, "shared/1", "v", _alice);
        Requested(b, "shared/2", "v", _alice);

        var refused = Assert.Throws<PolicyViolationException>(() => a.Put("shared/3", "v", _alice));

        Assert.Equal(PolicyRefusalCause.Denied, refused.Cause);
        Assert.Null(refused.Approval);
        Assert.Equal(2, b.Approvals.Pending.Count);
    }

    [Fact]
    public void InMemoryStore_IsTheDefault_ForAnInMemoryDatabase()
    {
        using Database store = Database.OpenInMemory();
        using var engine = new PolicyEngine(store);

        Assert.IsType<InMemoryApprovalStore>(engine.Approvals.Store);
        (_, PolicyEngine overFile) = OpenApp();
        Assert.Equal(Path.GetFullPath(DbPath), Assert.IsType<SqliteApprovalStore>(overFile.Approvals.Store).FilePath);
    }
}
