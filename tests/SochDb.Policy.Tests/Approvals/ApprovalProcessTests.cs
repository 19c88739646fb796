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

        // 1. A process raises the request and is killed with SIGKILL right after learning its id.
        string id;
        using (ChildProcess requester = StartWorker("request", db, "shared/plan"))
        {
            string line = await requester.ReadLine(cancel.Token);
            Assert.StartsWith("requested ", line);
            id = line["requested ".Length..];
            await requester.KillAndDrain(cancel.Token);
        }

        using (Database store = Database.Open(db))
        using (var engine = new PolicyEngine(store))
        {
            Assert.Equal(id, Assert.Single(engine.Approvals.Pending).Id);
            Assert.False(store.TryGet("shared/plan"u8, out _));
        }

        // 2. Eight processes, each with its own engine over the file, approve the same id at the same moment.
        var approvers = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                approvers.Add(StartWorker("approve", db, id, "approver-" + i));
            }

            foreach (ChildProcess approver in approvers)
            {
                Assert.Equal("ready", await approver.ReadLine(cancel.Token));
            }

            foreach (ChildProcess approver in approvers)
            {
                await approver.WriteLine("go", cancel.Token);
            }

            var outcomes = new List<string>();
            foreach (ChildProcess approver in approvers)
            {
                outcomes.Add(await approver.ReadLine(cancel.Token));
                await approver.Process.WaitForExitAsync(cancel.Token);
            }

            Assert.Equal(1, outcomes.Count(o => o == "approved"));
            Assert.Equal(7, outcomes.Count(o => o == "not-pending Executed"));
            Assert.Equal([0, 3, 3, 3, 3, 3, 3, 3], approvers.Select(p => p.Process.ExitCode).Order());
        }
        finally
        {
            foreach (ChildProcess approver in approvers)
            {
                approver.Dispose();
            }
        }

        // 3. The decision logs of the nine processes show one request, one grant, one write, seven refusals.
        using Database after = Database.Open(db);
        Assert.True(after.TryGet("shared/plan"u8, out byte[]? value));
        Assert.Equal("launch", Encoding.UTF8.GetString(value));
        var entries = new List<AuditEntry>();
        foreach (string file in Directory.GetFiles(_directory.Path, "shared.db.*.audit"))
        {
            using SqliteAuditSink log = SqliteAuditSink.Open(file);
            Assert.True(log.Verify().IsIntact);
            entries.AddRange(log.Query(new AuditQuery { Order = AuditOrder.OldestFirst }).Select(r => r.Entry));
        }

        Assert.Single(entries, e => e.Result == AuditResult.ApprovalRequired);
        Assert.Single(entries, e => e.Reason?.StartsWith($"approval {id} granted by approver-", StringComparison.Ordinal) == true);
        Assert.Single(entries, e => e.Operation == PolicyOperation.Write && e.Result == AuditResult.Allowed && e.Reason is null);
        Assert.Equal(7, entries.Count(e => e.Reason == $"approval {id} was already used; nothing was executed"));
    }

    private static ChildProcess StartWorker(params string[] arguments) => ChildProcess.Start("ApprovalWorkerPath", arguments);
}
