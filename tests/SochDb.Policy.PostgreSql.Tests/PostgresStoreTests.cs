using System.Text;
using Npgsql;
using SochDb.Policy.PostgreSql;

namespace SochDb.Policy.PostgreSql.Tests;

/// <summary>What the contract does not cover: the size limits, byte-exact order against SQLite, paging, async, opening.</summary>
[Trait("Category", "Slow")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres) : IDisposable
{
    private readonly string _sqliteDirectory = Directory.CreateTempSubdirectory("sochdb-pg-tests-").FullName;

    public void Dispose() => Directory.Delete(_sqliteDirectory, recursive: true);

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    /// <summary>Keys that stress ordering and size: incompressible 4,096-byte keys, keys sharing their first 1,024+ bytes, non-UTF-8 bytes.</summary>
    private static List<byte[]> AwkwardKeys()
    {
        var random = new Random(2026);
        var keys = new List<byte[]>();
        for (int i = 0; i < 5; i++)
        {
            byte[] key = new byte[IKeyValueStore.MaxKeyLength];
            random.NextBytes(key);
            keys.Add(key);
        }

        byte[] shared = new byte[1500];
        random.NextBytes(shared);
        foreach (byte tail in new byte[] { 0xFF, 0x00, 0x80, 0x7F })
        {
            keys.Add([.. shared, tail]);
        }

        keys.Add(shared[..1024]);
        keys.Add(shared[..1023]);
        keys.Add([.. shared[..1024], 0x00]);
        keys.Add([.. shared, .. new byte[IKeyValueStore.MaxKeyLength - shared.Length]]);
        keys.Add([0xFF, 0xFE, 0xFD]);
        keys.Add([0xC3, 0x28]);
        keys.Add([0x00]);
        keys.Add([0x00, 0x00]);
        keys.Add([0x80]);
        keys.Add([0xED, 0xA0, 0x80]);
        keys.Add(Encoding.UTF8.GetBytes("users/élodie/🙂"));
        keys.Add(Encoding.UTF8.GetBytes("users/"));
        return keys;
    }

    [Fact]
    public void LongNonUtf8KeysAndLargeValuesAreStoredAndScannedByteExactInSqliteOrder()
    {
        using PostgresStore pg = postgres.OpenNew("awkward", scanPageSize: 3);
        using Database sqlite = Database.Open(Path.Combine(_sqliteDirectory, "same.db"), new DatabaseOptions { Durability = Durability.Normal });
        List<byte[]> keys = AwkwardKeys();
        byte[] mebibyte = new byte[1024 * 1024];
        new Random(5).NextBytes(mebibyte);
        for (int i = 0; i < keys.Count; i++)
        {
            byte[] value = i == 0 ? mebibyte : [(byte)i, 0xFF, 0x00];
            pg.Put(keys[i], value);
            sqlite.Put(keys[i], value);
        }

        for (int i = 0; i < keys.Count; i++)
        {
            Assert.Equal(sqlite.Get(keys[i]), pg.Get(keys[i]));
        }

        Assert.Equal(mebibyte, pg.Get(keys[0]));
        string[] expected = sqlite.Scan(ReadOnlySpan<byte>.Empty).Select(e => Hex(e.Key) + "=" + Hex(e.Value)).ToArray();
        Assert.Equal(keys.Count, expected.Length);
        Assert.Equal(expected, pg.Scan(ReadOnlySpan<byte>.Empty).Select(e => Hex(e.Key) + "=" + Hex(e.Value)).ToArray());
        foreach (byte[] prefix in new[] { keys[5][..1024], keys[5][..1100], new byte[] { 0xFF }, new byte[] { 0x00 }, keys[0][..2] })
        {
            Assert.Equal(
                sqlite.Scan(prefix).Select(e => Hex(e.Key)).ToArray(),
                pg.Scan(prefix).Select(e => Hex(e.Key)).ToArray());
        }

        // Overwrite and delete long keys that share a prefix: each is its own row.
        pg.Put(keys[5], [1]);
        Assert.True(pg.Delete(keys[6]));
        Assert.Equal(new byte[] { 1 }, pg.Get(keys[5]));
        Assert.Null(pg.Get(keys[6]));
        Assert.Equal(new byte[] { 7, 0xFF, 0x00 }, pg.Get(keys[7]));
        Assert.Equal(keys.Count - 1, pg.Scan(ReadOnlySpan<byte>.Empty).Count());
    }

    [Fact]
    public async Task AsyncMembersAreTheSameStore()
    {
        using PostgresStore store = postgres.OpenNew("async", scanPageSize: 2);
        await store.PutAsync("a/1"u8.ToArray(), "one"u8.ToArray());
        await store.WriteAsync(new WriteBatch().Put("a/2", "two").Put("a/3", "three").Put("b/1", "x").Delete("a/1"));
        Assert.Null(await store.GetAsync("a/1"u8.ToArray()));
        Assert.Equal("two"u8.ToArray(), await store.GetAsync("a/2"u8.ToArray()));
        Assert.True(await store.DeleteAsync("b/1"u8.ToArray()));
        Assert.False(await store.DeleteAsync("b/1"u8.ToArray()));

        var scanned = new List<string>();
        await foreach (KeyValuePair<byte[], byte[]> entry in store.ScanAsync("a/"u8.ToArray()))
        {
            scanned.Add(Encoding.UTF8.GetString(entry.Key));
        }

        Assert.Equal(["a/2", "a/3"], scanned);
    }

    [Fact]
    public async Task CancelledOperationsThrowAndWriteNothing()
    {
        using PostgresStore store = postgres.OpenNew("cancel");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.PutAsync("k"u8.ToArray(), "v"u8.ToArray(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.WriteAsync(new WriteBatch().Put("b", "v"), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (KeyValuePair<byte[], byte[]> _ in store.ScanAsync(ReadOnlyMemory<byte>.Empty, cancelled.Token))
            {
            }
        });
        Assert.Empty(store.Scan(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void ScanReadsPageByPageAsTheCallerAdvances()
    {
        using PostgresStore store = postgres.OpenNew("paging", scanPageSize: 4);
        for (int i = 0; i < 10; i++)
        {
            store.Put($"p/{i:D2}", $"{i}");
        }

        var seen = new List<string>();
        using (IEnumerator<KeyValuePair<byte[], byte[]>> scan = store.Scan("p/").GetEnumerator())
        {
            Assert.True(scan.MoveNext());
            seen.Add(Encoding.UTF8.GetString(scan.Current.Key));

            // Written after the first page was read: later pages are read later, so the scan sees it; the first page does not change.
            store.Put("p/99", "late");
            store.Delete("p/01");
            while (scan.MoveNext())
            {
                seen.Add(Encoding.UTF8.GetString(scan.Current.Key));
            }
        }

        Assert.Equal(["p/00", "p/01", "p/02", "p/03", "p/04", "p/05", "p/06", "p/07", "p/08", "p/09", "p/99"], seen);
        Assert.Equal(10, store.Scan("p/").Count());
    }

    [Fact]
    public async Task ConnectionLostMidBatchWritesNothingSaysSoAndIsAuditedFailed()
    {
        using PostgresStore store = postgres.OpenNew("midbatch");
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable();
        store.Put("existing", "before");
        string table = store.TableName;

        // Another session locks the row of "blocked", so the batch stops there, after its first writes, until its
        // connection is terminated from a third session.
        using var locker = new NpgsqlConnection(postgres.ConnectionString + ";Pooling=false");
        locker.Open();
        using NpgsqlTransaction lockTransaction = locker.BeginTransaction();
        using (var insert = new NpgsqlCommand($"INSERT INTO \"{table}\" (k, v) VALUES ('\\x626c6f636b6564'::bytea, '\\x00'::bytea)", locker, lockTransaction))
        {
            insert.ExecuteNonQuery();
        }

        var batch = new WriteBatch().Put("first", "1").Put("existing", "after").Put("blocked", "2").Put("last", "3");
        Task write = Task.Run(() => engine.Write(batch, new PolicyContext { AgentId = "agent-7" }));
        int victim = 0;
        for (int attempt = 0; attempt < 600 && victim == 0; attempt++)
        {
            victim = Convert.ToInt32(postgres.Sql(
                $"SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%\"{table}\"%'"));
            if (victim == 0)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(victim != 0, "the batch never reached the locked row");
        Assert.Equal(true, postgres.Sql($"SELECT pg_terminate_backend({victim})"));
        PostgresStoreException error = await Assert.ThrowsAsync<PostgresStoreException>(() => write);
        lockTransaction.Rollback();

        Assert.False(error.OutcomeUnknown);
        Assert.Contains("batch of 4 operation(s)", error.Message);
        Assert.Contains($"\"{table}\"", error.Message);
        Assert.Contains("nothing of the batch was applied", error.Message);
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
        AuditEntry audited = engine.Audit.Recent(1).Single();
        Assert.Equal(AuditResult.Failed, audited.Result);
        Assert.Equal("agent-7", audited.AgentId);
        Assert.Contains(nameof(PostgresStoreException), audited.Reason);

        // Nothing half-written, and the store works again on a fresh connection.
        Assert.Equal(["existing"], store.Scan("").Select(e => Encoding.UTF8.GetString(e.Key)).ToArray());
        Assert.Equal("before", Encoding.UTF8.GetString(store.Get("existing")!));
        store.Write(new WriteBatch().Put("first", "1"));
        Assert.Equal(2, store.Scan("").Count());
    }

    [Fact]
    public void ServerErrorsNameTheOperationTableAndKey()
    {
        using PostgresStore store = postgres.OpenNew("dropped");
        store.Put("k", "v");
        postgres.Sql($"DROP TABLE \"{store.TableName}\"");
        PostgresStoreException put = Assert.Throws<PostgresStoreException>(() => store.Put("users/alice", "v"));
        Assert.Contains("put of key 'users/alice'", put.Message);
        Assert.Contains($"\"{store.TableName}\"", put.Message);
        Assert.Contains("nothing was written", put.Message);
        Assert.IsType<PostgresException>(put.InnerException);
        PostgresStoreException get = Assert.Throws<PostgresStoreException>(() => store.Get(new byte[] { 0xFF, 0x00 }));
        Assert.Contains("read of key 0xFF00", get.Message);
        Assert.Throws<PostgresStoreException>(() => store.Scan("").ToList());
    }

    [Fact]
    public void OpeningAnUnreachableServerSaysWhere()
    {
        int port = TestServers.FreePort.Next();
        PostgresStoreException error = Assert.Throws<PostgresStoreException>(() =>
            PostgresStore.Open($"Host=127.0.0.1;Port={port};Username=postgres;Timeout=3"));
        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("sochdb_entries", error.Message);
    }

    [Fact]
    public void BadConnectionStringsAndOptionsAreRefusedClearly()
    {
        Assert.Equal("connectionString", Assert.Throws<ArgumentNullException>(() => PostgresStore.Open(null!)).ParamName);
        ArgumentException keyword = Assert.Throws<ArgumentException>(() => PostgresStore.Open("Hots=127.0.0.1"));
        Assert.Equal("connectionString", keyword.ParamName);
        foreach (string name in new[] { "", "1table", "bad-name", "x\"; DROP TABLE y; --", new string('t', 64) })
        {
            ArgumentException table = Assert.Throws<ArgumentException>(() =>
                PostgresStore.Open(postgres.ConnectionString, new PostgresStoreOptions { TableName = name }));
            Assert.Contains("table name", table.Message);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            PostgresStore.Open(postgres.ConnectionString, new PostgresStoreOptions { ScanPageSize = 0 }));
    }

    [Fact]
    public void ATableOfAnotherShapeIsLeftAlone()
    {
        string table = postgres.NewTableName("foreign");
        postgres.Sql($"CREATE TABLE \"{table}\" (id int PRIMARY KEY, name text); INSERT INTO \"{table}\" VALUES (42, 'kept')");
        var error = Assert.Throws<InvalidDataException>(() =>
            PostgresStore.Open(postgres.ConnectionString, new PostgresStoreOptions { TableName = table }));
        Assert.Contains("not a SochDB store", error.Message);
        Assert.Equal("kept", postgres.Sql($"SELECT name FROM \"{table}\" WHERE id = 42"));
    }

    [Fact]
    public void InstancesStartingTogetherShareOneTable()
    {
        string table = postgres.NewTableName("shared");
        var options = new PostgresStoreOptions { TableName = table };
        PostgresStore[] instances = Enumerable.Range(0, 4).AsParallel()
            .Select(_ => PostgresStore.Open(postgres.ConnectionString, options)).ToArray();
        try
        {
            for (int i = 0; i < instances.Length; i++)
            {
                instances[i].Put($"from/{i}", $"{i}");
            }

            foreach (PostgresStore instance in instances)
            {
                Assert.Equal(["from/0", "from/1", "from/2", "from/3"], instance.Scan("from/").Select(e => Encoding.UTF8.GetString(e.Key)).ToArray());
            }
        }
        finally
        {
            foreach (PostgresStore instance in instances)
            {
                instance.Dispose();
            }
        }
    }
}
