using SochDb.Policy.PostgreSql;

namespace SochDb.Policy.PostgreSql.Tests;

/// <summary>The decision log in PostgreSQL: what reaches the table, a reopened log continuing its chain, tampering found.</summary>
[Trait("Category", "Slow")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresAuditSinkTests(PostgresFixture postgres)
{
    [Fact]
    public void EveryOutcomeReachesTheTableAndTheChainVerifiesAcrossReopening()
    {
        string table = postgres.NewTableName("audit");
        var options = new PostgresAuditSinkOptions { TableName = table };
        using Database store = Database.OpenInMemory();
        using var engine = new PolicyEngine(store);
        engine.BeforeWrite("system/*", Policies.DenyAll, name: "no-system");
        var context = new PolicyContext { AgentId = "agent_1", SessionId = "s1" };

        using (PostgresAuditSink sink = PostgresAuditSink.Open(postgres.ConnectionString, options))
        {
            engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
            engine.Put("notes/a", "secret-value-1", context);
            Assert.Throws<PolicyViolationException>(() => engine.Put("system/x", "secret-value-2", context));
            engine.Audit.Flush();
            List<AuditEntry> records = sink.Query(new AuditQuery { OldestFirst = true }).ToList();
            Assert.Equal([1L, 2L], records.Select(r => r.Sequence));
            Assert.Equal(("notes/a", AuditResult.Allowed, "agent_1", "s1"), (records[0].Key, records[0].Result, records[0].AgentId, records[0].SessionId));
            Assert.Equal(AuditResult.Denied, records[1].Result);
            Assert.Equal("[BeforeWrite(\"system/*\")] no-system", records[1].Rule);
            Assert.Equal(32, records[1].Hash!.Length);
            Assert.Equal(0L, Convert.ToInt64(postgres.Sql($"SELECT count(*) FROM {table} WHERE position(convert_to('secret-value', 'UTF8') in key) > 0 OR reason LIKE '%secret-value%'")));
            Assert.Single(sink.Query(new AuditQuery { AgentId = "agent_1", Result = AuditResult.Denied }));
            engine.Audit.Disable();
        }

        using (PostgresAuditSink reopened = PostgresAuditSink.Open(postgres.ConnectionString, options))
        {
            engine.Audit.Enable(new AuditOptions { Sinks = [reopened] });
            engine.Put("notes/b", "v", context);
            engine.Audit.Flush();
            Assert.Equal([1L, 2L, 3L], reopened.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Sequence));
            AuditVerification intact = reopened.Verify();
            Assert.True(intact.IsIntact, intact.ToString());
            Assert.Equal(3, intact.EntriesChecked);

            // An edit made behind the log's back breaks the chain at that entry.
            postgres.Sql($"UPDATE {table} SET reason = 'nothing to see' WHERE id = 2");
            Assert.Equal(2, reopened.Verify().FirstBrokenId);
            engine.Audit.Disable();
        }
    }

    [Fact]
    public void AKeyedLogVerifiesWithItsKey_RefusesAKeylessWriter_AndTheAnchoredHeadFindsACutTail()
    {
        string table = postgres.NewTableName("keyed");
        byte[] key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var entries = Enumerable.Range(0, 6)
            .Select(i => new AuditEntry(i, DateTimeOffset.UnixEpoch.AddSeconds(i), PolicyOperation.Write, System.Text.Encoding.UTF8.GetBytes("k" + i), AuditResult.Allowed, null, null, null, null))
            .ToList();
        AuditHead head;
        using (PostgresAuditSink keyed = PostgresAuditSink.Open(postgres.ConnectionString, new PostgresAuditSinkOptions { TableName = table, ChainKey = key }))
        {
            keyed.Write(entries);
            AuditVerification intact = keyed.Verify();
            Assert.True(intact.IsIntact, intact.ToString());
            head = intact.Head;
        }

        using (PostgresAuditSink keyless = PostgresAuditSink.Open(postgres.ConnectionString, new PostgresAuditSinkOptions { TableName = table }))
        {
            Assert.Contains("is keyed", Assert.Throws<InvalidOperationException>(() => keyless.Write(entries)).Message);
        }

        postgres.Sql($"DELETE FROM {table} WHERE id > 4");
        using PostgresAuditSink reopened = PostgresAuditSink.Open(postgres.ConnectionString, new PostgresAuditSinkOptions { TableName = table, ChainKey = key });
        Assert.True(reopened.Verify().IsIntact);
        Assert.Equal(5, reopened.Verify(head).FirstBrokenId);
    }

    [Fact]
    public void ATableOfAnotherShapeIsLeftAlone()
    {
        string table = postgres.NewTableName("notaudit");
        postgres.Sql($"CREATE TABLE {table} (id int, note text); INSERT INTO {table} VALUES (1, 'kept')");
        Assert.Throws<InvalidDataException>(() => PostgresAuditSink.Open(postgres.ConnectionString, new PostgresAuditSinkOptions { TableName = table }));
        Assert.Equal("kept", postgres.Sql($"SELECT note FROM {table}"));
        Assert.Throws<ArgumentException>(() => PostgresAuditSink.Open(postgres.ConnectionString, new PostgresAuditSinkOptions { TableName = "x; DROP TABLE y" }));
    }
}
