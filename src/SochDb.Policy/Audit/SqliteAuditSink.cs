using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Microsoft.Data.Sqlite;
using SochDb.Policy.Audit;

namespace SochDb.Policy;

/// <summary>
/// The durable audit log in a SQLite file: a table (default <c>sochdb_audit</c>) with the columns of
/// <see cref="AuditSqlQuery"/>, plus a one-row checkpoint table for retention. It may live in the store's own database
/// file (give the same path as <see cref="SochDb.Database.Open"/>) or in a file of its own.
/// </summary>
/// <remarks>
/// <para>
/// One writer connection appends each batch in one transaction (<c>synchronous=FULL</c> by default: an fsync per
/// batch); one reader connection, used under its own lock, serves queries, so a query never waits for an fsync. The
/// file is in WAL mode. Indexes on <c>agent_id</c>, <c>session_id</c> and <c>ts</c> keep filtered pages cheap.
/// </para>
/// <para>
/// A store on the same file that writes entries in its own transactions (<see cref="AuditDurability.WithWrite"/>)
/// inserts them into a second table of the same columns without indexes (the table's name plus <c>_tail</c>), so
/// each commit writes one page of the log rather than the row's page and one per index; every
/// <see cref="TailMoveRows"/> entries the tail is moved into the indexed table in one transaction. Queries, the
/// chain's walk and retention read both tables as one (an id is in exactly one of them), so results do not depend on
/// where an entry is. A log written before the tail existed gets an empty one when opened.
/// </para>
/// </remarks>
public sealed class SqliteAuditSink : AuditLedger
{
    /// <summary>The default table name.</summary>
    public const string DefaultTableName = "sochdb_audit";

    private static readonly string[] ExpectedColumns =
        { "id", "ts", "operation", "key", "key_masked", "result", "rule", "reason", "agent_id", "session_id", "trace_id", "span_id", "hash" };

    private readonly string _path;
    private readonly string _table;
    private readonly string _checkpointTable;
    private readonly SqliteWriteGate _writeGate;
    private readonly string _stateTable;
    private readonly Lock _readLock = new();
    private readonly string _tailTable;
    private readonly SqliteConnection _writer;
    private readonly SqliteConnection _reader;
    private readonly AuditInsertStatement _insert;
    private bool _disposed;

    // Entries in the tail table (as counted by this sink: those of earlier runs, plus those appended since).
    private long _tailRows;

    /// <summary>How many entries the tail collects before they are moved into the indexed table.</summary>
    internal const int TailMoveRows = 256;

    private SqliteAuditSink(string path, string table, SqliteConnection writer, SqliteConnection reader, AuditRetention? retention, byte[]? chainKey,
        long tailRows)
        : base("sqlite:" + System.IO.Path.GetFileName(path), retention, chainKey)
    {
        _path = path;
        _table = table;
        _checkpointTable = table + "_checkpoint";
        _stateTable = table + "_state";
        _tailTable = TailOf(table);
        _tailRows = tailRows;
        // The store on the same file writes through the same first-come, first-served gate (see SqliteWriteGate).
        _writeGate = SqliteWriteGate.For(path);
        _writer = writer;
        _reader = reader;
        _insert = new AuditInsertStatement(writer, AuditSqlQuery.Insert(table));
    }

    /// <summary>The full path of the file.</summary>
    public string Path => _path;

    /// <summary>The audit table.</summary>
    internal string TableName => _table;

    /// <summary>The table of the newest entries, without indexes, that a store writing entries in its own transactions inserts into.</summary>
    internal string TailTableName => _tailTable;

    /// <summary>The number of entries in the tail table as this sink counts them (for tests).</summary>
    internal long TailRows => Interlocked.Read(ref _tailRows);

    /// <summary>
    /// Called by the store after it committed <paramref name="count"/> entries into the tail table with its data: once
    /// the tail holds <see cref="TailMoveRows"/> entries, moves them into the indexed table (in a transaction of its own,
    /// so a failure there never fails the write that was committed; the tail is then moved after the next
    /// <see cref="TailMoveRows"/> entries, or on disposal).
    /// </summary>
    internal void AppendedToTail(int count)
    {
        if (Interlocked.Add(ref _tailRows, count) < TailMoveRows)
        {
            return;
        }

        try
        {
            MoveTail();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException)
        {
            // Left in the tail, where queries and verification read it as well.
        }
    }

    /// <summary>
    /// Moves every entry of the tail table into the indexed table, in one transaction (so each entry is in exactly one
    /// of them at any committed state).
    /// </summary>
    /// <exception cref="IOException">SQLite failed (the message names the file).</exception>
    /// <exception cref="InvalidDataException">The file is damaged (the message names it).</exception>
    internal void MoveTail()
    {
        using (_writeGate.Enter())
        {
            ThrowIfDisposed();
            MoveTailCore();
        }
    }

    // Under the write gate. The count is reset first: after a failure the move is tried again after TailMoveRows more.
    private void MoveTailCore()
    {
        Interlocked.Exchange(ref _tailRows, 0);
        InTransaction(() =>
        {
            using SqliteCommand move = _writer.CreateCommand();
            move.CommandText = $"INSERT INTO {_table} ({AuditSqlQuery.Columns}) SELECT {AuditSqlQuery.Columns} FROM {_tailTable} ORDER BY id; DELETE FROM {_tailTable};";
            move.ExecuteNonQuery();
        });
    }

    /// <summary>
    /// Opens (creating if needed) the audit table in the SQLite file at <paramref name="path"/>; the directory must
    /// exist. An existing log continues where it ended (its chain too).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, a directory or not a regular file (a FIFO, a device), or the table name is not a plain identifier.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a SQLite database, holds a table of that name with other columns, or is damaged (found while
    /// opening; later reads report damage the same way). The message names the file.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SqliteAuditSinkOptions.MaxAge"/> or <see cref="SqliteAuditSinkOptions.MaxEntries"/> is not positive.</exception>
    /// <exception cref="IOException">SQLite could not open the file.</exception>
    public static SqliteAuditSink Open(string path, SqliteAuditSinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new SqliteAuditSinkOptions();
        string table = AuditSqlQuery.Identifier(options.TableName);
        AuditRetention? retention = AuditRetention.Of(nameof(SqliteAuditSinkOptions), options.MaxAge, options.MaxEntries);
        if (options.ChainKey is { Length: < 16 } shortKey)
        {
            throw new ArgumentException($"SqliteAuditSinkOptions.ChainKey has {shortKey.Length} bytes; a chain key needs at least 16 (32 random bytes are best).", nameof(options));
        }

        string synchronous = options.Durability switch
        {
            Durability.Full => "FULL",
            Durability.Normal => "NORMAL",
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Durability, $"Unknown durability {options.Durability}."),
        };

        string fullPath = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new ArgumentException($"The audit log path '{fullPath}' is a directory; give the path of a file in it.", nameof(path));
        }

        string? directory = System.IO.Path.GetDirectoryName(fullPath);
        if (directory is null || !Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot open the audit log '{fullPath}': the directory '{directory}' does not exist.");
        }

        RegularFile.Require(fullPath, "audit log");
        CheckHeader(fullPath);
        string connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();

        SqliteConnection? writer = null;
        SqliteConnection? reader = null;
        try
        {
            writer = OpenConnection(connectionString, synchronous);
            CreateSchema(writer, table, fullPath);
            long tailRows = CountTail(writer, table);
            reader = OpenConnection(connectionString, synchronous);
            return new SqliteAuditSink(fullPath, table, writer, reader, retention, options.ChainKey, tailRows);
        }
        catch (SqliteException e)
        {
            writer?.Dispose();
            reader?.Dispose();
            throw e.SqliteErrorCode == 26
                ? new InvalidDataException($"'{fullPath}' is not a SQLite database (SQLite says: {e.Message}).", e)
                : SqliteErrors.IsCorruption(e) ? Translate(e, fullPath, table)
                : new IOException($"Cannot open the audit log '{fullPath}': {e.Message}", e);
        }
        catch
        {
            writer?.Dispose();
            reader?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    private protected override AuditRecord? ReadLastRecord()
    {
        IReadOnlyList<AuditRecord> last = ReadRecords(new AuditQuery { PageSize = 1 });
        return last.Count == 0 ? null : last[0];
    }

    /// <inheritdoc />
    private protected override AuditCheckpoint? ReadCheckpoint()
    {
        lock (_readLock)
        {
            ThrowIfDisposed();
            return Run(() =>
            {
                using SqliteCommand command = _reader.CreateCommand();
                command.CommandText = $"SELECT last_id, last_hash, pruned, pruned_at FROM {_checkpointTable} WHERE one = 1";
                using SqliteDataReader row = command.ExecuteReader();
                return row.Read()
                    ? new AuditCheckpoint(row.GetInt64(0), row.GetFieldValue<byte[]>(1), row.GetInt64(2), new DateTimeOffset(row.GetInt64(3), TimeSpan.Zero))
                    : null;
            });
        }
    }

    /// <inheritdoc />
    private protected override void AppendRecords(IReadOnlyList<AuditRecord> records)
    {
        using (_writeGate.Enter())
        {
            ThrowIfDisposed();
            InTransaction(() =>
            {
                foreach (AuditRecord record in records)
                {
                    _insert.Execute(record);
                }
            });
        }
    }

    /// <inheritdoc />
    private protected override IReadOnlyList<AuditRecord> ReadRecords(AuditQuery query)
    {
        var parameters = new List<KeyValuePair<string, object>>();
        string sql = AuditSqlQuery.Select(_table, query, parameters, _tailTable);
        lock (_readLock)
        {
            ThrowIfDisposed();
            return Run(() =>
            {
                using SqliteCommand command = _reader.CreateCommand();
                command.CommandText = sql;
                foreach (KeyValuePair<string, object> parameter in parameters)
                {
                    command.Parameters.AddWithValue(parameter.Key, parameter.Value);
                }

                // Rows are read (and damaged pages met) while stepping, so the whole read runs inside Run.
                var records = new List<AuditRecord>(Math.Min(query.PageSize, 1024));
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    records.Add(AuditSqlQuery.ReadRecord(reader));
                }

                return records;
            });
        }
    }

    /// <inheritdoc />
    private protected override long? FindLastIdBefore(DateTimeOffset time)
    {
        lock (_readLock)
        {
            ThrowIfDisposed();
            object? found = Run(() =>
            {
                using SqliteCommand command = _reader.CreateCommand();
                command.CommandText = $"SELECT max(id) FROM (SELECT max(id) AS id FROM {_table} WHERE ts < @ts UNION ALL SELECT max(id) FROM {_tailTable} WHERE ts < @ts)";
                command.Parameters.AddWithValue("@ts", time.UtcTicks);
                return command.ExecuteScalar();
            });
            return found is long id ? id : null;
        }
    }

    /// <inheritdoc />
    private protected override void RemoveThrough(long lastId, AuditCheckpoint checkpoint)
    {
        using (_writeGate.Enter())
        {
            ThrowIfDisposed();
            InTransaction(() =>
            {
                using SqliteCommand delete = _writer.CreateCommand();
                delete.CommandText = $"DELETE FROM {_table} WHERE id <= @id; DELETE FROM {_tailTable} WHERE id <= @id";
                delete.Parameters.AddWithValue("@id", lastId);
                delete.ExecuteNonQuery();
                using SqliteCommand save = _writer.CreateCommand();
                save.CommandText = $"INSERT INTO {_checkpointTable} (one, last_id, last_hash, pruned, pruned_at) VALUES (1, @id, @hash, @pruned, @at) " +
                    "ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash, pruned = excluded.pruned, pruned_at = excluded.pruned_at";
                save.Parameters.AddWithValue("@id", checkpoint.Id);
                save.Parameters.AddWithValue("@hash", checkpoint.Hash);
                save.Parameters.AddWithValue("@pruned", checkpoint.PrunedCount);
                save.Parameters.AddWithValue("@at", checkpoint.PrunedAt.UtcTicks);
                save.ExecuteNonQuery();
            });
        }
    }

    /// <inheritdoc />
    private protected override bool OpenForWriting()
    {
        using (_writeGate.Enter())
        {
            ThrowIfDisposed();
            bool wasOpen = false;
            InTransaction(() =>
            {
                using SqliteCommand command = _writer.CreateCommand();
                command.CommandText = $"SELECT open FROM {_stateTable} WHERE one = 1";
                wasOpen = command.ExecuteScalar() is long open && open != 0;
                command.CommandText = $"INSERT INTO {_stateTable} (one, open) VALUES (1, 1) ON CONFLICT (one) DO UPDATE SET open = 1";
                command.ExecuteNonQuery();
            });
            return wasOpen;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        // Read before taking the write lock: a write takes the chain lock first, then the write lock.
        bool hasWritten = HasWritten;
        using (_writeGate.Enter())
        {
            lock (_readLock)
            {
                if (_disposed)
                {
                    return;
                }

                if (Interlocked.Read(ref _tailRows) > 0)
                {
                    try
                    {
                        MoveTailCore();
                    }
                    catch (Exception e) when (e is IOException or InvalidDataException)
                    {
                        // Left in the tail, which the next sink on this file reads as well and moves.
                    }
                }

                if (hasWritten)
                {
                    CloseForWriting();
                }

                _disposed = true;
                _insert.Dispose();
                _reader.Dispose();
                _writer.Dispose();
            }
        }
    }

    // The writer closes the log: the next one to open it finds it closed cleanly. A failure here only means the next
    // writer appends a gap record it did not need.
    private void CloseForWriting()
    {
        try
        {
            using SqliteCommand command = _writer.CreateCommand();
            command.CommandText = $"UPDATE {_stateTable} SET open = 0 WHERE one = 1";
            command.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
        }
    }

    private void InTransaction(Action body)
    {
        Run(() =>
        {
            using (SqliteCommand begin = _writer.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }

            try
            {
                body();
                using SqliteCommand commit = _writer.CreateCommand();
                commit.CommandText = "COMMIT";
                commit.ExecuteNonQuery();
            }
            catch
            {
                try
                {
                    using SqliteCommand rollback = _writer.CreateCommand();
                    rollback.CommandText = "ROLLBACK";
                    rollback.ExecuteNonQuery();
                }
                catch (SqliteException)
                {
                    // SQLite already rolled back; the first error is the one to report.
                }

                throw;
            }

            return 0;
        });
    }

    // SQLite errors become InvalidDataException (a damaged file) or IOException, naming the file and table; SQLite's
    // own messages carry no row content.
    private T Run<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SqliteException e)
        {
            throw Translate(e, _path, _table);
        }
    }

    private static Exception Translate(SqliteException error, string path, string table) =>
        SqliteErrors.IsCorruption(error)
            ? new InvalidDataException(
                $"The audit log '{path}' (table {table}) is corrupt: SQLite found damaged pages ({error.Message}). " +
                "Restore the file from a backup, or recover what is readable into a new file.", error)
            : new IOException($"The audit log '{path}' (table {table}) failed: {error.Message}", error);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static void CheckHeader(string fullPath)
    {
        if (!File.Exists(fullPath))
        {
            return;
        }

        Span<byte> header = stackalloc byte[16];
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length == 0)
        {
            return;
        }

        int read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read < header.Length || !header.SequenceEqual("SQLite format 3\0"u8))
        {
            throw new InvalidDataException($"'{fullPath}' is not a SQLite database; the audit log was not opened and the file was left unchanged.");
        }
    }

    private static SqliteConnection OpenConnection(string connectionString, string synchronous)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using SqliteCommand pragmas = connection.CreateCommand();
            pragmas.CommandText = $"PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=30000;";
            pragmas.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // The columns of the audit table and of its tail, in the order of AuditSqlQuery.Columns.
    private const string ColumnDefinitions =
        "(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, operation TEXT NOT NULL, key BLOB NOT NULL, key_masked INTEGER NOT NULL, " +
        "result TEXT NOT NULL, rule TEXT, reason TEXT, agent_id TEXT, session_id TEXT, trace_id TEXT, span_id TEXT, hash BLOB NOT NULL)";

    private static string TailOf(string table) => table + "_tail";

    private static long CountTail(SqliteConnection connection, string table)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {TailOf(table)}";
        return (long)command.ExecuteScalar()!;
    }

    private static void CreateSchema(SqliteConnection connection, string table, string fullPath)
    {
        using SqliteCommand command = connection.CreateCommand();
        foreach (string name in new[] { table, TailOf(table) })
        {
            command.CommandText = $"SELECT name FROM pragma_table_info('{name}') ORDER BY cid";
            var columns = new List<string>();
            using (SqliteDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    columns.Add(reader.GetString(0));
                }
            }

            if (columns.Count > 0 && !columns.ToArray().AsSpan().SequenceEqual(ExpectedColumns))
            {
                throw new InvalidDataException(
                    $"'{fullPath}' has a table '{name}' that is not a SochDB audit log (its columns are: {string.Join(", ", columns)}); the file was left unchanged.");
            }
        }

        command.CommandText = "PRAGMA journal_mode=WAL";
        command.ExecuteNonQuery();
        command.CommandText =
            $"CREATE TABLE IF NOT EXISTS {table} {ColumnDefinitions};" +
            $"CREATE INDEX IF NOT EXISTS {table}_agent ON {table} (agent_id, id);" +
            $"CREATE INDEX IF NOT EXISTS {table}_session ON {table} (session_id, id);" +
            $"CREATE INDEX IF NOT EXISTS {table}_ts ON {table} (ts);" +
            // The newest entries written with a store's data (no indexes, so a commit writes one page of the log); a log
            // written before this table existed gets it here, empty.
            $"CREATE TABLE IF NOT EXISTS {TailOf(table)} {ColumnDefinitions};" +
            $"CREATE TABLE IF NOT EXISTS {table}_checkpoint (one INTEGER PRIMARY KEY CHECK (one = 1), last_id INTEGER NOT NULL, " +
            "last_hash BLOB NOT NULL, pruned INTEGER NOT NULL, pruned_at INTEGER NOT NULL);" +
            $"CREATE TABLE IF NOT EXISTS {table}_state (one INTEGER PRIMARY KEY CHECK (one = 1), open INTEGER NOT NULL);";
        command.ExecuteNonQuery();
    }
}

/// <summary>Options of <see cref="SqliteAuditSink.Open"/>.</summary>
public sealed record SqliteAuditSinkOptions
{
    /// <summary>The audit table's name (the checkpoint table is this plus <c>_checkpoint</c>); default <c>sochdb_audit</c>.</summary>
    public string TableName { get; init; } = SqliteAuditSink.DefaultTableName;

    /// <summary>Durability of each batch's commit; default <see cref="Durability.Full"/> (an fsync per batch).</summary>
    public Durability Durability { get; init; } = Durability.Full;

    /// <summary>
    /// Retention by age: entries older than this, measured from the newest entry's timestamp, are removed (oldest first,
    /// leaving a checkpoint the rest verifies from). Null (default): no age limit.
    /// </summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>
    /// Retention by count: at most this many entries are kept (oldest removed first, leaving a checkpoint the rest
    /// verifies from). Null (default): no count limit.
    /// </summary>
    public long? MaxEntries { get; init; }

    /// <summary>
    /// The key of a keyed chain: each entry's hash becomes HMAC-SHA256 under it instead of plain SHA-256, so whoever can
    /// write the database but does not hold the key cannot produce a chain that verifies. At least 16 bytes (32 random
    /// bytes are best); keep it outside the log, as a secret. A sink opened without the key (or with another) reads and
    /// queries a keyed log but refuses to extend it; <see cref="AuditLedger.Verify()"/> needs the key. Default null.
    /// </summary>
    public byte[]? ChainKey { get; init; }
}
