using System.Text;
using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Approvals;

/// <summary>
/// Approvals across real processes sharing one SQLite file: a request outlives a SIGKILL of the process that raised it,
/// and of eight processes racing to approve it exactly one runs it.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ApprovalProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task RequestingProcessKilled_ThePendingRequestSurvives_AndEightRacingProcessesRunItExactlyOnce()
    {
        string db = _directory.File("shared.db");
        using var cancel = new CancellationTokenSource(Timeout);

        // A process raises the request and is killed with SIGKILL right after learning its id; eight processes, each
        // with its own engine over the file, then approve the same id at the same moment.
        (string id, List<string> outcomes, List<int> exitCodes) = await ApprovalWorkers.KillRequesterThenRace(db, "shared/plan", null, id =>
        {
            using Database store = Database.Open(db);
            using var engine = new PolicyEngine(store);
            Assert.Equal(id, Assert.Single(engine.Approvals.Pending).Id);
            Assert.False(store.TryGet("shared/plan"u8, out _));
        }, cancel.Token);

        Assert.Equal(1, outcomes.Count(o => o == "approved"));
        Assert.Equal(7, outcomes.Count(o => o == "not-pending Executed"));
        Assert.Equal([0, 3, 3, 3, 3, 3, 3, 3], exitCodes);

        // The decision logs of the nine processes show one request, one grant, one write, seven refusals.
        using Database after = Database.Open(db);
        Assert.True(after.TryGet("shared/plan"u8, out byte[]? value));
        Assert.Equal("launch", Encoding.UTF8.GetString(value));
        List<AuditEntry> entries = ApprovalWorkers.AuditEntries(_directory.Path, db);
        Assert.Single(entries, e => e.Result == AuditResult.ApprovalRequired);
        Assert.Single(entries, e => e.Reason?.StartsWith($"approval {id} granted by approver-", StringComparison.Ordinal) == true);
        Assert.Single(entries, e => e.Operation == PolicyOperation.Write && e.Result == AuditResult.Allowed && e.Reason is null);
        Assert.Equal(7, entries.Count(e => e.Reason == $"approval {id} was already used; nothing was executed"));
    }
}
