using System.Diagnostics;

namespace SochDb.Policy.Tests.Audit;

/// <summary>The durable log: what reaches the table, and that a reopened log continues its chain.</summary>
[Collection(ProcessWideListeners.Name)]
public sealed class SqliteAuditSinkTests
{
    [Fact]
    public void EveryOutcomeReachesTheTable_WithEveryField_AndNoValue()
    {
        using var kit = new AuditTestKit();
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll, name: "no-system");
        var context = new PolicyContext { AgentId = "agent_1", SessionId = "s1" };
        using var source = new ActivitySource("audit-test");
        using var listener = new ActivityListener { ShouldListenTo = _ => true, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);
        string traceId;
        string spanId;
        using (Activity activity = source.StartActivity("op")!)
        {
            traceId = activity.TraceId.ToHexString();
            spanId = activity.SpanId.ToHexString();
            kit.Engine.Put("notes/a", "secret-value-1", context);
        }

        kit.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("system/x", "secret-value-2", context));

        List<AuditEntry> records = kit.Records();
        Assert.Equal(2, records.Count);
        AuditEntry allowed = records[0];
        Assert.Equal(1, records[0].Sequence);
        Assert.Equal(1, allowed.Sequence);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), allowed.Timestamp);
        Assert.Equal(PolicyOperation.Write, allowed.Operation);
        Assert.Equal("notes/a", allowed.Key);
        Assert.Equal(AuditResult.Allowed, allowed.Result);
        Assert.Equal(("agent_1", "s1"), (allowed.AgentId, allowed.SessionId));
        // The entry carries the span of the guarded operation: the engine's own, a child of the caller's (same trace).
        Assert.Equal(traceId, allowed.TraceId);
        Assert.NotEqual(spanId, allowed.SpanId);
        Assert.Equal(16, allowed.SpanId!.Length);
        Assert.Null(allowed.Rule);
        AuditEntry denied = records[1];
        Assert.Equal(AuditResult.Denied, denied.Result);
        Assert.Equal("[BeforeWrite(\"system/*\")] no-system", denied.Rule);
        Assert.NotEqual(traceId, denied.TraceId); // no caller span: the engine's span starts a trace of its own
        Assert.Equal(32, records[1].Hash!.Length);
        byte[] file = kit.FileBytes();
        Assert.False(AuditTestKit.Contains(file, "secret-value"), "a value reached the audit file");
    }

    [Fact]
    public void AReopenedLogContinuesItsChain_AndVerifies()
    {
        using var kit = new AuditTestKit();
        for (int i = 0; i < 10; i++)
        {
            kit.Engine.Put("k" + i, "v");
        }

        kit.Engine.Audit.Disable();
        kit.Sink.Dispose();
        kit.Sink = SqliteAuditSink.Open(kit.Path);
        kit.Engine.Audit.Enable(new AuditOptions { Sinks = [kit.Sink] });
        for (int i = 10; i < 15; i++)
        {
            kit.Engine.Put("k" + i, "v");
        }

        List<AuditEntry> records = kit.Records();
        Assert.Equal(Enumerable.Range(1, 15).Select(i => (long)i), records.Select(r => r.Sequence));
        Assert.Equal(Enumerable.Range(0, 15).Select(i => "k" + i), records.Select(r => r.Key));
        AuditVerification verification = kit.Engine.Audit.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        Assert.Equal(15, verification.EntriesChecked);
        Assert.Equal(records[^1].Hash, verification.HeadHash);
    }

    [Fact]
    public void TheStoreAndItsAuditLogShareOneFile()
    {
        using var directory = new Storage.TestDirectory();
        string path = directory.File("agent.db");
        using (Database db = Database.Open(path))
        using (SqliteAuditSink sink = SqliteAuditSink.Open(path))
        using (var engine = new PolicyEngine(db))
        {
            engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
            engine.Put("a", "1");
            engine.Put("b", "2");
            engine.Audit.Flush();
        }

        using Database reopened = Database.Open(path);
        using SqliteAuditSink log = SqliteAuditSink.Open(path);
        Assert.Equal("1"u8.ToArray(), reopened.Get("a"));
        Assert.Equal(new[] { "a", "b" }, log.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Key));
        Assert.True(log.Verify().IsIntact);
    }

    [Fact]
    public void AFileThatIsNotADatabase_OrATableOfAnotherShape_IsRefusedAndLeftUnchanged()
    {
        using var directory = new Storage.TestDirectory();
        string text = directory.File("notes.txt");
        File.WriteAllText(text, "not a database at all");
        var notDb = Assert.Throws<InvalidDataException>(() => SqliteAuditSink.Open(text));
        Assert.Contains("not a SQLite database", notDb.Message);
        Assert.Equal("not a database at all", File.ReadAllText(text));

        string other = directory.File("other.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE sochdb_audit (x INTEGER)";
            command.ExecuteNonQuery();
        }

        var shape = Assert.Throws<InvalidDataException>(() => SqliteAuditSink.Open(other));
        Assert.Contains("not a SochDB audit log", shape.Message);
        Assert.Throws<ArgumentException>(() => SqliteAuditSink.Open(directory.File("a.db"), new SqliteAuditSinkOptions { TableName = "x; DROP TABLE y" }));
        Assert.Throws<DirectoryNotFoundException>(() => SqliteAuditSink.Open(directory.File("missing/a.db")));
    }
}
