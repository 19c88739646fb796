using System.Text;
using SochDb.Policy.PostgreSql;

namespace SochDb.Policy.PostgreSql.Tests;

/// <summary>Approval requests in PostgreSQL: shared by every engine of a fleet, surviving restarts, decided exactly once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresApprovalStoreTests(PostgresFixture postgres) : IDisposable
{
    private readonly List<IDisposable> _open = [];
    private readonly PolicyContext _alice = new PolicyContext { AgentId = "alice", SessionId = "s1" }.With("team", "blue");

    public void Dispose()
    {
        for (int i = _open.Count - 1; i >= 0; i--)
        {
            _open[i].Dispose();
        }
    }

    /// <summary>One instance of the app: its own data-store and approval-store connections to the shared tables.</summary>
    private (PostgresStore Store, PolicyEngine Engine, PostgresApprovalStore Approvals) OpenApp(string data, string approvalsTable, bool approvalRule = true)
    {
        PostgresStore store = PostgresStore.Open(postgres.ConnectionString, new PostgresStoreOptions { TableName = data });
        PostgresApprovalStore approvals = PostgresApprovalStore.Open(postgres.ConnectionString, approvalsTable);
        var engine = new PolicyEngine(store, new PolicyEngineOptions { ApprovalStore = approvals });
        engine.Audit.Enable();
        if (approvalRule)
        {
            engine.BeforeWrite("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees it"), "ApproveSharing");
        }

        _open.Add(store);
        _open.Add(approvals);
        _open.Add(engine);
        return (store, engine, approvals);
    }

    private static string? Read(PostgresStore store, string key) =>
        store.TryGet(Encoding.UTF8.GetBytes(key), out byte[]? value) ? Encoding.UTF8.GetString(value) : null;

    private string Request(PolicyEngine engine) =>
        Refusals.ApprovalRequired(() => engine.Put("shared/plan", "launch", _alice)).Approval!.Id;

    [Fact]
    public void PendingRequest_SurvivesARestart_AndAnotherInstanceRunsItOnce()
    {
        string data = postgres.NewTableName("approval_data"), table = postgres.NewTableName("approvals");
        (PostgresStore firstStore, PolicyEngine requester, PostgresApprovalStore firstApprovals) = OpenApp(data, table);
        string id = Request(requester);
        requester.Dispose();
        firstApprovals.Dispose();
        firstStore.Dispose();

        (PostgresStore store, PolicyEngine approver, _) = OpenApp(data, table);
        ApprovalRequest pending = Assert.Single(approver.Approvals.Pending);
        Assert.Equal((id, "shared/plan", "alice", "blue", "launch"), (pending.Id, pending.Key, pending.AgentId, pending.Context.Get("team"), pending.PreviewValue()));

        approver.Approvals.Approve(id, "dana");

        Assert.Equal("launch", Read(store, "shared/plan"));
        Assert.True(approver.Approvals.TryGet(id, out ApprovalRequest? after));
        Assert.Equal((ApprovalState.Executed, "dana"), (after.State, after.DecidedBy));
        Refusals.NotPending(() => approver.Approvals.Approve(id, "dana"), id, ApprovalState.Executed);
    }

    [Fact]
    public void EightInstancesApprovingOneIdAtOnce_ExactlyOneRunsIt()
    {
        string data = postgres.NewTableName("approval_data"), table = postgres.NewTableName("approvals");
        var apps = Enumerable.Range(0, 8).Select(_ => OpenApp(data, table)).ToList();
        string id = Request(apps[0].Engine);
        int ran = 0, refused = 0;
        using var go = new Barrier(8);

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            go.SignalAndWait(TimeSpan.FromSeconds(30));
            try
            {
                apps[i].Engine.Approvals.Approve(id, "approver-" + i);
                Interlocked.Increment(ref ran);
            }
            catch (ApprovalNotPendingException e)
            {
                Refusals.CheckNotPending(e, id, ApprovalState.Executed);
                Interlocked.Increment(ref refused);
            }
        });

        Assert.Equal((1, 7), (ran, refused));
        Assert.Equal(1, apps.Sum(a => a.Engine.Audit.Recent().Count(e => e.Operation == PolicyOperation.Write && e.Result == AuditResult.Allowed && e.Reason is null)));
    }

    [Fact]
    public void RejectExpireAndForgedIds_RunNothing()
    {
        string data = postgres.NewTableName("approval_data"), table = postgres.NewTableName("approvals");
        (PostgresStore store, PolicyEngine engine, PostgresApprovalStore approvals) = OpenApp(data, table);
        string rejected = Request(engine);
        engine.Approvals.Reject(rejected, "not today", "erin");

        Refusals.NotPending(() => engine.Approvals.Approve(rejected, "dana"), rejected, ApprovalState.Rejected);
        Refusals.NotPending(() => engine.Approvals.Approve("' OR 1=1 --", "mallory"), "' OR 1=1 --", null);
        Refusals.NotPending(() => engine.Approvals.Approve(new string('0', 32), "mallory"), new string('0', 32), null);

        // A request made an hour ago with a 30-minute lifetime: the atomic decision finds it overdue and expires it.
        DateTimeOffset longAgo = DateTimeOffset.UtcNow.AddHours(-1);
        ApprovalRequest old = ApprovalRequest.FromStore("00112233445566778899aabbccddeeff",
            Refusals.ApprovalRequired(() => engine.Put("shared/old", "x", _alice)).Approval!.ToPayload(),
            longAgo, longAgo.AddMinutes(30), ApprovalState.Pending, null, null);
        Assert.True(approvals.TryAdd(old, 100));
        Assert.Equal(ApprovalState.Expired, approvals.TryDecide(old.Id, ApprovalState.Executed, DateTimeOffset.UtcNow, "dana", null, out ApprovalRequest? expired));
        Assert.Equal(ApprovalState.Expired, expired!.State);

        Assert.Null(Read(store, "shared/plan"));
        Assert.Null(Read(store, "shared/old"));
    }

    [Fact]
    public void StoreUnavailableWhileApproving_ClearError_NothingRuns_RequestKept()
    {
        string data = postgres.NewTableName("approval_data"), table = postgres.NewTableName("approvals");
        (PostgresStore store, PolicyEngine engine, _) = OpenApp(data, table);
        string id = Request(engine);
        postgres.Sql($"ALTER TABLE {table} RENAME TO {table}_away");

        var error = Assert.Throws<PostgresStoreException>(() => engine.Approvals.Approve(id, "dana"));

        Assert.Contains($"approval store (table \"{table}\")", error.Message);
        Assert.Null(Read(store, "shared/plan"));
        Assert.Contains(engine.Audit.Recent(), e => e.Result == AuditResult.Failed
            && e.Reason == $"approval {id} could not be decided: the approval store failed (PostgresStoreException); nothing was executed");
        postgres.Sql($"ALTER TABLE {table}_away RENAME TO {table}");
        Assert.Equal(id, Assert.Single(engine.Approvals.Pending).Id);
    }

    [Fact]
    public async Task AsyncTwins_ListRejectApprove_OverNpgsqlAsync_AndStoreDownIsAClearError()
    {
        string data = postgres.NewTableName("approval_data"), table = postgres.NewTableName("approvals");
        (PostgresStore store, PolicyEngine engine, _) = OpenApp(data, table);
        string rejected = Request(engine);
        string approved = Refusals.ApprovalRequired(() => engine.Put("shared/other", "go", _alice)).Approval!.Id;

        Assert.Equal(new[] { rejected, approved }.Order(StringComparer.Ordinal), (await engine.Approvals.ListPendingAsync()).Select(r => r.Id).Order(StringComparer.Ordinal));
        await engine.Approvals.RejectAsync(rejected, "not today", "erin");
        postgres.Sql($"ALTER TABLE {table} RENAME TO {table}_away");
        var error = await Assert.ThrowsAsync<PostgresStoreException>(async () => await engine.Approvals.ApproveAsync(approved, "dana"));
        Assert.Contains($"approval store (table \"{table}\")", error.Message);
        Assert.Null(Read(store, "shared/other"));
        postgres.Sql($"ALTER TABLE {table}_away RENAME TO {table}");
        ApprovalResult result = await engine.Approvals.ApproveAsync(approved, "dana");

        Assert.Equal((ApprovalState.Executed, "go"), (result.Request.State, Read(store, "shared/other")));
        Assert.Null(Read(store, "shared/plan"));
        Assert.Empty(await engine.Approvals.ListPendingAsync());
    }

    [Fact]
    public void Open_RefusesATableNameThatIsNotAPlainIdentifier()
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresApprovalStore.Open(postgres.ConnectionString, "x; DROP TABLE y"));

        Assert.StartsWith("The approval table name \"x; DROP TABLE y\" must be", error.Message);
    }
}
