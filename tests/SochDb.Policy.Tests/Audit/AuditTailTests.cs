using Microsoft.Data.Sqlite;
using SochDb.Policy.Audit;
using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// The log's tail table: entries a store writes with its data go into a table without indexes and move into the indexed
/// table every <see cref="SqliteAuditSink.TailMoveRows"/> entries. Queries, verification and retention must not depend
/// on where an entry is, and a log written before the tail existed must open, verify and go on.
/// </summary>
public sealed class AuditTailTests : IDisposable
{
    private const string Table = SqliteAuditSink.DefaultTableName;
    private const string Tail = SqliteAuditSink.DefaultTableName + "_tail";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Queries_ReadTheTailAndTheIndexedTableAsOne_WithTheSameResultsAsAfterTheMove()
    {
        string path = _directory.File("shared.db");
        using var store = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        using SqliteAuditSink log = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { Durability = Durability.Normal });
        var audited = (ITransactionalAuditStore)store;
        var written = new List<AuditEntry>();
        for (int i = 0; written.Count < 2 * SqliteAuditSink.TailMoveRows + 100; i++)
        {
            if (i % 9 == 4)
            {
                // The background writer's path (reads, refusals): straight into the indexed table, between tail entries.
                AuditEntry queued = Entry(written.Count, PolicyOperation.Read);
                log.Write([queued]);
                written.Add(queued);
            }
            else if (i % 13 == 6)
            {
                var batch = new WriteBatch();
                batch.Put("b" + i, "v");
                batch.Delete("k" + i);
                AuditEntry[] entries = [Entry(written.Count, PolicyOperation.Write), Entry(written.Count + 1, PolicyOperation.Delete)];
                audited.Write(batch, log, entries);
                written.AddRange(entries);
            }
            else
            {
                AuditEntry entry = Entry(written.Count, PolicyOperation.Write);
                audited.Put(entry.KeyBytes, "v"u8, log, entry);
                written.Add(entry);
            }
        }

        // Some entries were moved (two moves), some wait in the tail, and the queued ones sit between them in the indexed table.
        Assert.InRange(log.TailRows, 1, SqliteAuditSink.TailMoveRows - 1);
        Assert.Equal(log.TailRows, Count(path, Tail));
        Assert.Equal(written.Count, Count(path, Table) + Count(path, Tail));

        AuditQuery[] queries = Queries();
        List<string>[] before = queries.Select(q => Pages(log, q)).ToArray();
        // Exact against what was written (ids are 1-based positions in the chain).
        Assert.Equal(written.Select((e, i) => $"{i + 1} {e.Key}"), before[0]);
        Assert.Equal(Enumerable.Range(0, written.Count).Where(i => i % 3 == 1).Reverse().Select(i => $"{i + 1} {written[i].Key}"), before[2]);
        Assert.Equal(Enumerable.Range(0, written.Count).Where(i => i % 5 == 2 && i >= 100 && i < 500).Select(i => $"{i + 1} {written[i].Key}"), before[4]);

        log.MoveTail();
        Assert.Equal(0, Count(path, Tail));
        Assert.Equal(0, log.TailRows);
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(before[q], Pages(log, queries[q]));
        }

        AuditVerification verification = log.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        Assert.Equal(written.Count, verification.HeadId);
    }

    [Fact]
    public void ALogWrittenBeforeTheTailExisted_OpensVerifiesAndGoesOn()
    {
        string path = _directory.File("old.db");
        AuditHead head;
        using (SqliteAuditSink log = SqliteAuditSink.Open(path))
        {
            for (int i = 0; i < 40; i++)
            {
                log.Write([Entry(i, PolicyOperation.Write)]);
            }

            head = log.Verify().Head;
        }

        // The layout of the earlier release: the indexed table, its indexes, the checkpoint and state tables, no tail.
        Sql(path, $"DROP TABLE {Tail}");
        Assert.Equal(0, Scalar(path, $"SELECT count(*) FROM sqlite_master WHERE name = '{Tail}'"));

        using (var store = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal }))
        using (SqliteAuditSink log = SqliteAuditSink.Open(path))
        {
            Assert.Equal(1, Scalar(path, $"SELECT count(*) FROM sqlite_master WHERE name = '{Tail}'"));
            AuditVerification reopened = log.Verify(head);
            Assert.True(reopened.IsIntact, reopened.ToString());
            Assert.Equal(40, log.Query(new AuditQuery { AgentId = "agent-1" }).Count() + log.Query(new AuditQuery { AgentId = "agent-0" }).Count() +
                log.Query(new AuditQuery { AgentId = "agent-2" }).Count());

            AuditEntry next = Entry(40, PolicyOperation.Write);
            ((ITransactionalAuditStore)store).Put(next.KeyBytes, "v"u8, log, next);
            Assert.Equal(1, Count(path, Tail));
            AuditVerification extended = log.Verify(head);
            Assert.True(extended.IsIntact, extended.ToString());
            Assert.Equal(41, extended.HeadId);
            Assert.Equal(next.Key, log.ReadPage(new AuditQuery { PageSize = 1 }).Records.Single().Entry.Key);
        }

        // Disposal moved the tail: the file holds every entry in the indexed table again.
        Assert.Equal(41, Count(path, Table));
        Assert.Equal(0, Count(path, Tail));
    }

    [Fact]
    public void EntriesLeftInTheTail_AreReadAfterAReopen_AndMovedByTheNextWriter()
    {
        string path = _directory.File("live.db");
        string copy = _directory.File("crashed.db");
        using (var store = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal }))
        using (SqliteAuditSink log = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { Durability = Durability.Normal }))
        {
            for (int i = 0; i < 10; i++)
            {
                AuditEntry entry = Entry(i, PolicyOperation.Write);
                ((ITransactionalAuditStore)store).Put(entry.KeyBytes, "v"u8, log, entry);
            }

            // The file as a process killed now leaves it: committed pages in the database and its WAL, the tail not moved.
            File.Copy(path, copy);
            File.Copy(path + "-wal", copy + "-wal");
        }

        using (var store = (SqliteDatabase)Database.Open(copy, new DatabaseOptions { Durability = Durability.Normal }))
        using (SqliteAuditSink log = SqliteAuditSink.Open(copy, new SqliteAuditSinkOptions { Durability = Durability.Normal }))
        {
            Assert.Equal(10, log.TailRows);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => "k" + i), log.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Key));
            for (int i = 10; i < SqliteAuditSink.TailMoveRows; i++)
            {
                AuditEntry entry = Entry(i, PolicyOperation.Write);
                ((ITransactionalAuditStore)store).Put(entry.KeyBytes, "v"u8, log, entry);
            }

            // The earlier run's ten counted too: the tail reached its size and was moved (beside the gap record that
            // says the earlier writer stopped without closing the log).
            Assert.Equal(0, log.TailRows);
            Assert.Equal(0, Count(copy, Tail));
            Assert.Equal(SqliteAuditSink.TailMoveRows + 1, Count(copy, Table));
            Assert.Single(log.Query(new AuditQuery { Result = AuditResult.EntriesDropped }));
            AuditVerification verification = log.Verify();
            Assert.True(verification.IsIntact, verification.ToString());
        }
    }

    [Fact]
    public void AnEditOrATruncationInTheTail_IsFound()
    {
        string path = _directory.File("tampered.db");
        using var store = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        using SqliteAuditSink log = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { Durability = Durability.Normal });
        for (int i = 0; i < 12; i++)
        {
            AuditEntry entry = Entry(i, PolicyOperation.Write);
            ((ITransactionalAuditStore)store).Put(entry.KeyBytes, "v"u8, log, entry);
        }

        AuditHead head = log.Verify().Head;
        Sql(path, $"UPDATE {Tail} SET agent_id = 'someone-else' WHERE id = 5");
        AuditVerification edited = log.Verify();
        Assert.False(edited.IsIntact);
        Assert.Equal(5, edited.FirstBrokenId);

        Sql(path, $"UPDATE {Tail} SET agent_id = 'agent-1' WHERE id = 5");
        Sql(path, $"DELETE FROM {Tail} WHERE id > 9");
        Assert.True(log.Verify().IsIntact); // a shortened chain verifies on its own ...
        Assert.False(log.Verify(head).IsIntact); // ... but not against the head kept elsewhere
    }

    [Fact]
    public void Retention_RemovesFromTheTailAndTheIndexedTable()
    {
        string path = _directory.File("retained.db");
        using var store = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        using SqliteAuditSink log = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions
        {
            Durability = Durability.Normal,
            MaxEntries = 10,
        });
        for (int i = 0; i < 30; i++)
        {
            AuditEntry entry = Entry(i, PolicyOperation.Write);
            ((ITransactionalAuditStore)store).Put(entry.KeyBytes, "v"u8, log, entry);
        }

        log.Write([Entry(30, PolicyOperation.Read)]);
        Assert.Equal(30, Count(path, Tail));
        Assert.Equal(21, log.Prune());
        Assert.Equal(11, Count(path, Table) + Count(path, Tail)); // the newest ten and the retention's own entry
        Assert.Equal(Enumerable.Range(21, 10).Select(i => (long)i + 1), log.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Sequence).Take(10));
        AuditVerification verification = log.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
    }

    [Fact]
    public void ATailTableOfAnotherShape_IsRefused_AndTheFileLeftAsItWas()
    {
        string path = _directory.File("foreign.db");
        Sql(path, $"CREATE TABLE {Tail} (x INTEGER)");
        var error = Assert.Throws<InvalidDataException>(() => SqliteAuditSink.Open(path));
        Assert.Contains(Tail, error.Message);
        Assert.Equal(0, Scalar(path, $"SELECT count(*) FROM sqlite_master WHERE name = '{Table}'"));
    }

    // Entry n: key kn, agent agent-(n % 3), session s-(n % 5), one second after the one before.
    private static AuditEntry Entry(int n, PolicyOperation operation) =>
        new(-1, Start.AddSeconds(n), operation, System.Text.Encoding.UTF8.GetBytes("k" + n), AuditResult.Allowed, "agent-" + (n % 3), "s-" + (n % 5), null, null);

    private static AuditQuery[] Queries() =>
    [
        new AuditQuery { OldestFirst = true, PageSize = 37 },
        new AuditQuery { PageSize = 1_000 },
        new AuditQuery { AgentId = "agent-1", PageSize = 11 },
        new AuditQuery { SessionId = "s-3", OldestFirst = true, PageSize = 5 },
        new AuditQuery { SessionId = "s-2", From = Start.AddSeconds(100), To = Start.AddSeconds(500), OldestFirst = true, PageSize = 9 },
        new AuditQuery { AgentId = "agent-2", SessionId = "s-4", Operation = PolicyOperation.Write, PageSize = 3 },
        new AuditQuery { Operation = PolicyOperation.Read, OldestFirst = true, PageSize = 1 },
        new AuditQuery { After = 300, OldestFirst = true, PageSize = 50 },
        new AuditQuery { After = 300, PageSize = 50 },
    ];

    // Every page of query, read with ReadPage and its Next, as "id key" lines.
    private static List<string> Pages(SqliteAuditSink log, AuditQuery query)
    {
        var lines = new List<string>();
        for (AuditQuery? page = query; page is not null;)
        {
            AuditPage read = log.ReadPage(page);
            lines.AddRange(read.Records.Select(r => $"{r.Id} {r.Entry.Key}"));
            page = read.Next;
        }

        Assert.Equal(lines, log.Query(query).Select(r => $"{r.Sequence} {r.Key}"));
        return lines;
    }

    private static long Count(string path, string table) => Scalar(path, $"SELECT count(*) FROM {table}");

    private static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
