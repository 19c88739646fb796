using SochDb.Policy.PostgreSql;

namespace SochDb.Policy.PostgreSql.Tests;

/// <summary>
/// The decision log in the PostgreSQL store's own database: with <see cref="AuditDurability.WithWrite"/> the entry of a
/// write is committed in the write's transaction (there before the background writer runs, absent when the write fails);
/// and a log left open by a writer that stopped without closing it gets a gap record from the next writer.
/// </summary>
[Trait("Category", "Slow")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresWithWriteTests(PostgresFixture postgres)
{
    [Fact]
    public async Task WritesAndTheirEntriesCommitTogether_AFailedWriteHasNone_AndTheChainVerifies()
    {
        using PostgresStore store = postgres.OpenNew("ww_data");
        string table = postgres.NewTableName("ww_audit");
        using PostgresAuditSink log = PostgresAuditSink.Open(postgres.ConnectionString, new PostgresAuditSinkOptions { TableName = table });
        var stuck = new GatedSink();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [stuck, log], Durability = AuditDurability.WithWrite });
        postgres.Sql(
            $"CREATE FUNCTION fail_{store.TableName}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql; " +
            $"CREATE TRIGGER fail_bad BEFORE INSERT ON \"{store.TableName}\" FOR EACH ROW WHEN (NEW.k = convert_to('bad', 'UTF8')) EXECUTE FUNCTION fail_{store.TableName}()");
        stuck.Gate.Reset(); // the background writer blocks in the first sink: nothing reaches the log through the queue

        engine.Put("a", "1");
        await engine.PutAsync("b"u8.ToArray(), "2"u8.ToArray());
        Assert.True(engine.Delete("a"));
        Assert.False(engine.Delete("never-there"));
        var batch = new WriteBatch();
        batch.Put("c", "3");
        batch.Delete("b");
        engine.Write(batch);
        Assert.ThrowsAny<Exception>(() => engine.Put("bad", "v"));
        var failing = new WriteBatch();
        failing.Put("d", "4");
        failing.Put("bad", "5");
        Assert.ThrowsAny<Exception>(() => engine.Write(failing));

        Assert.Equal(["write a", "write b", "delete a", "delete never-there", "write c", "delete b"], Logged(log));
        Assert.Null(store.Get("d"));

        stuck.Gate.Set();
        engine.Audit.Flush();
        List<string> all = Logged(log);
        Assert.Equal(8, all.Count); // plus the two failures, through the queue
        Assert.Equal(2, log.Query(new AuditQuery { Result = AuditResult.Failed }).Count());
        Assert.Equal(all, stuck.Entries.Select(Describe));
        AuditVerification verification = engine.Audit.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        engine.Audit.Disable();
    }

    [Fact]
    public void Enabling_IsRefused_WhenTheLogIsInAnotherDatabase()
    {
        string other = postgres.NewTableName("otherdb");
        postgres.Sql($"CREATE DATABASE {other}");
        using PostgresStore store = postgres.OpenNew("ww_refused");
        using PostgresAuditSink elsewhere = PostgresAuditSink.Open(postgres.ConnectionString.Replace("Database=postgres", "Database=" + other, StringComparison.Ordinal));
        using var engine = new PolicyEngine(store);
        var error = Assert.Throws<InvalidOperationException>(() =>
            engine.Audit.Enable(new AuditOptions { Sinks = [elsewhere], Durability = AuditDurability.WithWrite }));
        Assert.Contains("not in the engine's store's database", error.Message);
        Assert.False(engine.Audit.IsEnabled);
    }

    [Fact]
    public void AReopenedLogThatWasNotClosed_GetsAGapRecord_AndOneClosedCleanlyDoesNot()
    {
        string table = postgres.NewTableName("unclean");
        var options = new PostgresAuditSinkOptions { TableName = table };
        var entry = new AuditEntry(0, DateTimeOffset.UnixEpoch, PolicyOperation.Write, "k"u8.ToArray(), AuditResult.Allowed, null, null, null, null);

        // A writer that stops without closing (as a killed process does): its log stays marked open.
        PostgresAuditSink crashed = PostgresAuditSink.Open(postgres.ConnectionString, options);
        crashed.Write([entry, entry]);

        using (PostgresAuditSink next = PostgresAuditSink.Open(postgres.ConnectionString, options))
        {
            next.Write([entry]);
            List<AuditEntry> records = next.Query(new AuditQuery { OldestFirst = true }).ToList();
            Assert.Equal([AuditResult.Allowed, AuditResult.Allowed, AuditResult.EntriesDropped, AuditResult.Allowed], records.Select(r => r.Result));
            Assert.Contains("entries after #2 may be missing", records[2].Reason);
            AuditVerification verification = next.Verify();
            Assert.True(verification.IsIntact, verification.ToString());
            Assert.Equal([3L], verification.GapIds);
        }

        using (PostgresAuditSink clean = PostgresAuditSink.Open(postgres.ConnectionString, options))
        {
            clean.Write([entry]);
            Assert.Equal(5, clean.Query(new AuditQuery()).Count());
            Assert.Equal([3L], clean.Verify().GapIds);
        }

        GC.KeepAlive(crashed);
    }

    private static List<string> Logged(PostgresAuditSink log) =>
        log.Query(new AuditQuery { OldestFirst = true }).Select(r => Describe(r)).ToList();

    private static string Describe(AuditEntry entry) => $"{entry.Operation.ToString().ToLowerInvariant()} {entry.Key}";

    /// <summary>A non-durable sink that keeps what it gets and, while its gate is closed, holds the background writer.</summary>
    private sealed class GatedSink() : AuditSink("gated")
    {
        private readonly List<AuditEntry> _entries = new();

        public ManualResetEventSlim Gate { get; } = new(initialState: true);

        public List<AuditEntry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return _entries.ToList();
                }
            }
        }

        public override void Write(IReadOnlyList<AuditEntry> batch)
        {
            Gate.Wait(Waits.Timeout);
            lock (_entries)
            {
                _entries.AddRange(batch);
            }
        }
    }
}
