using BenchmarkDotNet.Attributes;
using SochDb.Policy.Benchmarks.RuleSets;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// T9: a guarded Put over SQLite with the durable SQLite audit sink on (queued, the default durability), against the
/// same Put without audit (the baseline, same run); T14: the same Put with <see cref="AuditDurability.WithWrite"/>, the
/// entry written in the Put's own transaction (store and log in one file); and the sink's own throughput, batches of
/// 1,024 entries appended (hash chain included). Store and sinks use <see cref="Durability.Normal"/>; the last pair
/// repeats the T14 comparison with <see cref="Durability.Full"/> (an fsync per commit), where the fsync dominates.
/// Two prototypes show the floor of any entry written in the data's transaction: raw Microsoft.Data.Sqlite, one upsert
/// per transaction, alone and with one bare 40-byte row inserted into a second table in the same transaction (the least
/// an entry can add: one more B-tree page written per commit).
/// </summary>
[MemoryDiagnoser]
public class AuditBenchmarks
{
    private const int SinkEntries = 8_192;
    private static readonly PolicyContext Context = new() { AgentId = "agent_001", SessionId = "session_42" };
    private static readonly byte[] Key = "users/alice/profile"u8.ToArray();

    // Each Put writes a value different from the last: SQLite skips rewriting a row whose content is unchanged, so a
    // constant value would make the unaudited baseline a commit with nothing to write.
    private readonly byte[] _value = new byte[8];
    private long _puts;

    private string _directory = null!;
    private Database _plainStore = null!;
    private Database _auditedStore = null!;
    private SqliteAuditSink _engineSink = null!;
    private SqliteAuditSink _throughputSink = null!;
    private PolicyEngine _plain = null!;
    private PolicyEngine _audited = null!;
    private Database _withWriteStore = null!;
    private SqliteAuditSink _withWriteSink = null!;
    private PolicyEngine _withWrite = null!;
    private Database _fullPlainStore = null!;
    private PolicyEngine _fullPlain = null!;
    private Database _fullWithWriteStore = null!;
    private SqliteAuditSink _fullWithWriteSink = null!;
    private PolicyEngine _fullWithWrite = null!;
    private AuditEntry[][] _batches = null!;
    private RawSqlite _rawAlone = null!;
    private RawSqlite _rawWithRow = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("sochdb-audit-bench-").FullName;
        var normal = new DatabaseOptions { Durability = Durability.Normal };
        _plainStore = Database.Open(Path.Combine(_directory, "plain.db"), normal);
        _auditedStore = Database.Open(Path.Combine(_directory, "audited.db"), normal);
        _plain = new PolicyEngine(_plainStore, Rules16.Compiled);
        _audited = new PolicyEngine(_auditedStore, Rules16.Compiled);
        _engineSink = SqliteAuditSink.Open(Path.Combine(_directory, "audit.db"), new SqliteAuditSinkOptions { Durability = Durability.Normal });
        _audited.Audit.Enable(new AuditOptions { Sinks = [_engineSink] });
        string shared = Path.Combine(_directory, "withwrite.db");
        _withWriteStore = Database.Open(shared, normal);
        _withWriteSink = SqliteAuditSink.Open(shared, new SqliteAuditSinkOptions { Durability = Durability.Normal });
        _withWrite = new PolicyEngine(_withWriteStore, Rules16.Compiled);
        _withWrite.Audit.Enable(new AuditOptions { Sinks = [_withWriteSink], Durability = AuditDurability.WithWrite });
        _fullPlainStore = Database.Open(Path.Combine(_directory, "full-plain.db"));
        _fullPlain = new PolicyEngine(_fullPlainStore, Rules16.Compiled);
        string fullShared = Path.Combine(_directory, "full-withwrite.db");
        _fullWithWriteStore = Database.Open(fullShared);
        _fullWithWriteSink = SqliteAuditSink.Open(fullShared);
        _fullWithWrite = new PolicyEngine(_fullWithWriteStore, Rules16.Compiled);
        _fullWithWrite.Audit.Enable(new AuditOptions { Sinks = [_fullWithWriteSink], Durability = AuditDurability.WithWrite });
        _throughputSink = SqliteAuditSink.Open(Path.Combine(_directory, "throughput.db"), new SqliteAuditSinkOptions { Durability = Durability.Normal });
        var entry = new AuditEntry(0, DateTimeOffset.UtcNow, PolicyOperation.Write, Key, AuditResult.Allowed, "agent_001", "session_42", null, null);
        _batches = Enumerable.Range(0, SinkEntries / 1_024).Select(_ => Enumerable.Repeat(entry, 1_024).ToArray()).ToArray();
        _rawAlone = new RawSqlite(Path.Combine(_directory, "raw-alone.db"), withRow: false);
        _rawWithRow = new RawSqlite(Path.Combine(_directory, "raw-row.db"), withRow: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _audited.Dispose();
        _withWrite.Dispose();
        _withWriteSink.Dispose();
        _withWriteStore.Dispose();
        _fullWithWrite.Dispose();
        _fullWithWriteSink.Dispose();
        _fullWithWriteStore.Dispose();
        _fullPlain.Dispose();
        _fullPlainStore.Dispose();
        _plain.Dispose();
        _engineSink.Dispose();
        _throughputSink.Dispose();
        _plainStore.Dispose();
        _auditedStore.Dispose();
        _rawAlone.Dispose();
        _rawWithRow.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "guarded Put, SQLite, no audit")]
    public void PutWithoutAudit() => _plain.Put(Key, NextValue(), Context);

    [Benchmark(Description = "guarded Put, SQLite, durable SQLite audit sink")]
    public void PutWithSqliteAudit() => _audited.Put(Key, NextValue(), Context);

    [Benchmark(Description = "guarded Put, SQLite, WithWrite audit (entry in the Put's transaction)")]
    public void PutWithAuditInTransaction() => _withWrite.Put(Key, NextValue(), Context);

    [Benchmark(Description = "guarded Put, SQLite Full (fsync per commit), no audit")]
    public void PutDurableWithoutAudit() => _fullPlain.Put(Key, NextValue(), Context);

    [Benchmark(Description = "guarded Put, SQLite Full (fsync per commit), WithWrite audit")]
    public void PutDurableWithAuditInTransaction() => _fullWithWrite.Put(Key, NextValue(), Context);

    [Benchmark(Description = "prototype: raw SQLite, one upsert per transaction")]
    public void RawUpsert() => _rawAlone.Commit(Key, NextValue());

    [Benchmark(Description = "prototype: raw SQLite, the upsert and a bare 40-byte row in another table, one transaction")]
    public void RawUpsertWithBareRow() => _rawWithRow.Commit(Key, NextValue());

    private byte[] NextValue()
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(_value, ++_puts);
        return _value;
    }

    /// <summary>Per entry: 1 / mean is the sink's sustained rate.</summary>
    [Benchmark(OperationsPerInvoke = SinkEntries, Description = "SQLite sink: append one entry (batches of 1,024)")]
    public void SinkAppend()
    {
        foreach (AuditEntry[] batch in _batches)
        {
            _throughputSink.Write(batch);
        }
    }
}

/// <summary>
/// The floor prototype: Microsoft.Data.Sqlite with prepared commands on one connection (WAL, <c>synchronous=NORMAL</c>),
/// the store's table shape, and optionally one bare row (an id and 32 bytes) in a second table in the same transaction.
/// </summary>
internal sealed class RawSqlite : IDisposable
{
    private readonly Microsoft.Data.Sqlite.SqliteConnection _connection;
    private readonly Microsoft.Data.Sqlite.SqliteCommand _begin;
    private readonly Microsoft.Data.Sqlite.SqliteCommand _upsert;
    private readonly Microsoft.Data.Sqlite.SqliteCommand? _row;
    private readonly Microsoft.Data.Sqlite.SqliteCommand _commit;
    private readonly byte[] _hash = new byte[32];
    private long _id;

    public RawSqlite(string path, bool withRow)
    {
        _connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        _connection.Open();
        using (Microsoft.Data.Sqlite.SqliteCommand setup = _connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; " +
                "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID; CREATE TABLE log (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);";
            setup.ExecuteNonQuery();
        }

        _begin = Prepare("BEGIN IMMEDIATE");
        _upsert = Prepare("INSERT INTO kv (k, v) VALUES ($k, $v) ON CONFLICT (k) DO UPDATE SET v = excluded.v", "$k", "$v");
        _row = withRow ? Prepare("INSERT INTO log (id, hash) VALUES ($id, $hash)", "$id", "$hash") : null;
        _commit = Prepare("COMMIT");
    }

    public void Commit(byte[] key, byte[] value)
    {
        _begin.ExecuteNonQuery();
        _upsert.Parameters[0].Value = key;
        _upsert.Parameters[1].Value = value;
        _upsert.ExecuteNonQuery();
        if (_row is not null)
        {
            _hash[0]++;
            _row.Parameters[0].Value = ++_id;
            _row.Parameters[1].Value = _hash;
            _row.ExecuteNonQuery();
        }

        _commit.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _begin.Dispose();
        _upsert.Dispose();
        _row?.Dispose();
        _commit.Dispose();
        _connection.Dispose();
    }

    private Microsoft.Data.Sqlite.SqliteCommand Prepare(string sql, params string[] parameters)
    {
        Microsoft.Data.Sqlite.SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (string name in parameters)
        {
            command.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter(name, null));
        }

        command.Prepare();
        return command;
    }
}
