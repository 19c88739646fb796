using System.Text;

namespace SochDb.Policy.PostgreSql.Tests;

/// <summary>
/// Approvals across real processes sharing one PostgreSQL database: a request outlives a SIGKILL of the process that
/// raised it, and of eight processes racing to approve it (ApproveAsync over Npgsql's asynchronous calls) exactly one runs it.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PostgresApprovalProcessTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _directory = Directory.CreateTempSubdirectory("sochdb-pg-approvals-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task RequestingProcessKilled_ThePendingRequestSurvives_AndEightRacingProcessesRunItExactlyOnce()
    {
        string data = postgres.NewTableName("race_data"), table = postgres.NewTableName("race_approvals");
        var environment = new Dictionary<string, string>
        {
            ["SOCHDB_POSTGRES"] = postgres.ConnectionString,
            ["SOCHDB_DATA_TABLE"] = data,
            ["SOCHDB_APPROVALS_TABLE"] = table,
        };
        string logs = Path.Combine(_directory, "fleet");
        using var cancel = new CancellationTokenSource(Timeout);

        (string id, List<string> outcomes, List<int> exitCodes) = await ApprovalWorkers.KillRequesterThenRace(logs, "shared/plan", environment, id =>
        {
            // The requester is gone (SIGKILL); its request is in PostgreSQL, pending, and nothing was written.
            using PostgresApprovalStore approvals = PostgresApprovalStore.Open(postgres.ConnectionString, table);
            ApprovalRequest pending = Assert.Single(approvals.ListPending(DateTimeOffset.UtcNow, 10));
            Assert.Equal((id, ApprovalState.Pending, "shared/plan", "launch"), (pending.Id, pending.State, pending.Key, pending.PreviewValue()));
            Assert.Null(Read(data, "shared/plan"));
        }, cancel.Token);

        Assert.Equal(1, outcomes.Count(o => o == "approved"));
        Assert.Equal(7, outcomes.Count(o => o == "not-pending Executed"));
        Assert.Equal([0, 3, 3, 3, 3, 3, 3, 3], exitCodes);
        Assert.Equal("launch", Read(data, "shared/plan"));
        Assert.Equal(1L, postgres.Sql($"SELECT count(*) FROM {table} WHERE id = '{id}' AND state = {(int)ApprovalState.Executed} AND decided_by LIKE 'approver-%'"));

        List<AuditEntry> entries = ApprovalWorkers.AuditEntries(_directory, logs);
        Assert.Single(entries, e => e.Result == AuditResult.ApprovalRequired);
        Assert.Single(entries, e => e.Reason?.StartsWith($"approval {id} granted by approver-", StringComparison.Ordinal) == true);
        Assert.Single(entries, e => e.Operation == PolicyOperation.Write && e.Result == AuditResult.Allowed && e.Reason is null);
        Assert.Equal(7, entries.Count(e => e.Reason == $"approval {id} was already used; nothing was executed"));
    }

    private string? Read(string table, string key)
    {
        using PostgresStore store = PostgresStore.Open(postgres.ConnectionString, new PostgresStoreOptions { TableName = table });
        return store.TryGet(Encoding.UTF8.GetBytes(key), out byte[]? value) ? Encoding.UTF8.GetString(value) : null;
    }
}
