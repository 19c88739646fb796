using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Threading;
using Microsoft.Data.Sqlite;

namespace SochDb;

/// <summary>
/// The durable store behind <see cref="Database.Open"/>: one SQLite file in WAL mode holding one table whose key
/// column is a <c>BLOB</c> with a unique index (SQLite compares blobs with <c>memcmp</c>, which is the ordinal order
/// of <see cref="ByteKeyComparer"/>). The layout is described in <see cref="SqliteSchema"/>.
/// </summary>
/// <remarks>
/// <para>
/// Concurrency: one writer connection, used under the file's write gate (<see cref="SqliteWriteGate"/>), carries every <see cref="Put"/>, <see cref="Delete"/>
/// and <see cref="Write"/> (SQLite admits one writer at a time anyway, so more would only queue inside SQLite).
/// Reads use a pool of reader connections, each used by one thread at a time; in WAL mode they read the last
/// committed state without blocking the writer or each other. Measured on two cores with <see cref="Durability.Full"/>
/// (one thread writing, four reading), the pool read about twice as fast as one connection under one lock, whose
/// readers wait out every fsync; with reads alone the two were even. A lifetime lock held shared by every operation and
/// exclusively by <see cref="Database.Dispose()"/> makes disposal wait for operations in flight.
/// </para>
/// <para>
/// Each connection keeps its statements prepared for its lifetime, since per-command setup dominates small
/// operations. <c>synchronous</c> is set on every connection (<see cref="Durability.Full"/>: <c>FULL</c>, an fsync
/// per commit; <see cref="Durability.Normal"/>: <c>NORMAL</c>).
/// </para>
/// <para>
/// <see cref="Scan"/> streams page by page (<see cref="SqliteScan"/>): each page is one statement on a pooled reader
/// that goes back to the pool before the page is yielded, so memory stays bounded whatever the range and an
/// enumeration that is abandoned without <c>Dispose</c> holds no connection, no lock and no snapshot.
/// </para>
/// <para>
/// Every <see cref="SqliteException"/> is turned into the store's documented exceptions by <see cref="SqliteErrors"/>:
/// <see cref="InvalidDataException"/> for a damaged file, <see cref="IOException"/> for anything else, both naming
/// the file.
/// </para>
/// </remarks>
internal sealed partial class SqliteDatabase : Database, SochDb.Policy.Audit.ITransactionalAuditStore
{
    // Every SQLite 3 database file starts with these 16 bytes ("SQLite format 3" and a NUL).
    private static ReadOnlySpan<byte> FileHeader => "SQLite format 3\0"u8;

    private readonly string _path;
    private readonly string _connectionString;
    private readonly string _synchronous;
    private readonly ReaderWriterLockSlim _lifetime = new(LockRecursionPolicy.NoRecursion);
    private readonly SqliteWriteGate _writeGate;
    private readonly WriterConnection _writer;
    private readonly ConcurrentBag<ReaderConnection> _readers = new();
    private readonly int _maxIdleReaders = Math.Max(4, Environment.ProcessorCount * 2);
    private bool _disposed;

    private SqliteDatabase(string path, string connectionString, string synchronous, WriterConnection writer)
    {
        _path = path;
        // One first-come, first-served gate per file, shared with an audit log on the same file: SQLite's own lock
        // would make the two writers poll for it, and a busy store could starve the log for seconds (see SqliteWriteGate).
        _writeGate = SqliteWriteGate.For(path);
        _connectionString = connectionString;
        _synchronous = synchronous;
        _writer = writer;
    }

    /// <summary>The full path of the database file.</summary>
    public string Path => _path;

    /// <summary>
    /// Opens (creating if needed) the database file at <paramref name="path"/>. The directory must exist. On any
    /// failure nothing is left behind: a file this call created is removed, and an existing file is not written to
    /// before its header, its table and (when asked) its integrity were checked.
    /// </summary>
    public static SqliteDatabase OpenFile(string path, DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("The database path must not be empty or white space.", nameof(path));
        }

        string synchronous = options.Durability switch
        {
            Durability.Full => "FULL",
            Durability.Normal => "NORMAL",
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Durability, $"Unknown durability {options.Durability}."),
        };

        string fullPath;
        try
        {
            fullPath = System.IO.Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"The database path '{path}' is not a valid path: {e.Message}", nameof(path), e);
        }

        if (Directory.Exists(fullPath))
        {
            throw new ArgumentException($"The database path '{fullPath}' is a directory; give the path of a file in it.", nameof(path));
        }

        string? directory = System.IO.Path.GetDirectoryName(fullPath);
        if (directory is null || !Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"Cannot open the database '{fullPath}': the directory '{directory}' does not exist (it is not created automatically).");
        }

        RegularFile.Require(fullPath, "database");
        bool fileExisted = File.Exists(fullPath);
        if (fileExisted)
        {
            CheckHeader(fullPath);
        }

        string walPath = fullPath + "-wal";
        string shmPath = fullPath + "-shm";
        string journalPath = fullPath + "-journal";
        bool walExisted = File.Exists(walPath);
        bool shmExisted = File.Exists(shmPath);
        bool journalExisted = File.Exists(journalPath);

        string connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Pooling would keep the file open after Dispose; every connection here lives as long as the database.
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();

        WriterConnection? writer = null;
        try
        {
            writer = WriterConnection.Open(connectionString, synchronous, fullPath, options.VerifyOnOpen);
            return new SqliteDatabase(fullPath, connectionString, synchronous, writer);
        }
        catch (Exception e)
        {
            writer?.Dispose();
            DeleteIfCreated(walPath, walExisted);
            DeleteIfCreated(shmPath, shmExisted);
            DeleteIfCreated(journalPath, journalExisted);
            DeleteIfCreated(fullPath, fileExisted);
            if (e is SqliteException sqlite)
            {
                throw SqliteErrors.Translate(sqlite, fullPath, "open");
            }

            throw;
        }
    }

    /// <inheritdoc />
    public override void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        KeyRules.Validate(key);
        byte[] keyCopy = key.ToArray();
        byte[] valueCopy = value.ToArray();
        EnterOperation();
        try
        {
            using (_writeGate.Enter())
            {
                _writer.Put(keyCopy, valueCopy);
            }
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(e, _path, "write to");
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public override bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        KeyRules.Validate(key);
        byte[] keyCopy = key.ToArray();
        EnterOperation();
        try
        {
            ReaderConnection reader = RentReader();
            try
            {
                value = reader.Get(keyCopy);
            }
            finally
            {
                ReturnReader(reader);
            }

            return value is not null;
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(e, _path, "read from");
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public override bool Delete(ReadOnlySpan<byte> key)
    {
        KeyRules.Validate(key);
        byte[] keyCopy = key.ToArray();
        EnterOperation();
        try
        {
            using (_writeGate.Enter())
            {
                return _writer.Delete(keyCopy);
            }
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(e, _path, "write to");
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix)
    {
        // Disposal is reported when Scan is called, as by the in-memory store; each page checks again.
        EnterOperation();
        _lifetime.ExitReadLock();
        return new SqliteScan(this, prefix.ToArray(), UpperBound(prefix));
    }

    /// <inheritdoc />
    public override void Write(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        IReadOnlyList<(byte[] Key, byte[]? Value)> operations = batch.Operations;
        for (int i = 0; i < operations.Count; i++)
        {
            // WriteBatch validates as operations are added; checked again so nothing is applied if one is bad.
            KeyRules.Validate(operations[i].Key, nameof(batch));
        }

        EnterOperation();
        try
        {
            using (_writeGate.Enter())
            {
                _writer.Write(operations);
            }
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(e, _path, "write to");
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    /// <inheritdoc />
    bool SochDb.Policy.Audit.ITransactionalAuditStore.SharesDatabaseWith(SochDb.Policy.AuditLedger ledger) => HoldsLog(ledger);

    /// <inheritdoc />
    void SochDb.Policy.Audit.ITransactionalAuditStore.Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, SochDb.Policy.AuditLedger ledger, SochDb.Policy.AuditEntry entry)
    {
        KeyRules.Validate(key);
        (byte[] Key, byte[]? Value)[] operations = [(key.ToArray(), value.ToArray())];
        WriteAudited(operations, ledger, [entry]);
    }

    /// <inheritdoc />
    bool SochDb.Policy.Audit.ITransactionalAuditStore.Delete(ReadOnlySpan<byte> key, SochDb.Policy.AuditLedger ledger, SochDb.Policy.AuditEntry entry)
    {
        KeyRules.Validate(key);
        (byte[] Key, byte[]? Value)[] operations = [(key.ToArray(), null)];
        return WriteAudited(operations, ledger, [entry]) > 0;
    }

    /// <inheritdoc />
    void SochDb.Policy.Audit.ITransactionalAuditStore.Write(WriteBatch batch, SochDb.Policy.AuditLedger ledger, IReadOnlyList<SochDb.Policy.AuditEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(batch);
        IReadOnlyList<(byte[] Key, byte[]? Value)> operations = batch.Operations;
        for (int i = 0; i < operations.Count; i++)
        {
            KeyRules.Validate(operations[i].Key, nameof(batch));
        }

        WriteAudited(operations, ledger, entries);
    }

    private bool HoldsLog(SochDb.Policy.AuditLedger ledger) =>
        ledger is SochDb.Policy.SqliteAuditSink sink && string.Equals(sink.Path, _path, StringComparison.Ordinal);

    // The data and the ledger's records in one transaction on the writer connection; returns the rows the deletes removed.
    private int WriteAudited(IReadOnlyList<(byte[] Key, byte[]? Value)> operations, SochDb.Policy.AuditLedger ledger, IReadOnlyList<SochDb.Policy.AuditEntry> entries)
    {
        if (!HoldsLog(ledger))
        {
            throw new InvalidOperationException($"The audit log {ledger.Name} is not in the database '{_path}': one transaction cannot cover both.");
        }

        // The entries go into the log's tail table, which has no indexes: one more page per commit rather than four.
        var sink = (SochDb.Policy.SqliteAuditSink)ledger;
        string table = sink.TailTableName;
        int removed = 0;
        EnterOperation();
        try
        {
            ledger.AppendWithWrite(entries, records =>
            {
                using (_writeGate.Enter())
                {
                    removed = _writer.WriteWithRecords(operations, table, records);
                }
            });
            sink.AppendedToTail(entries.Count);
            return removed;
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(e, _path, "write to");
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    /// <summary>
    /// The value of <c>PRAGMA <paramref name="pragma"/></c> on the writer connection and on a reader connection, so
    /// tests can check per-connection settings such as <c>synchronous</c> where they take effect.
    /// </summary>
    internal (long Writer, long Reader) ReadPragma(string pragma)
    {
        EnterOperation();
        try
        {
            long writer = RunOnWriter("PRAGMA " + pragma);
            ReaderConnection reader = RentReader();
            try
            {
                return (writer, ReadPragma(reader.Connection, pragma));
            }
            finally
            {
                ReturnReader(reader);
            }
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    /// <summary>
    /// Runs <paramref name="sql"/> on the writer connection and returns its first value as a number (0 when none): lets
    /// tests make writes fail the way a full disk or a read-only file does (<c>PRAGMA max_page_count</c>,
    /// <c>PRAGMA query_only</c>).
    /// </summary>
    internal long RunOnWriter(string sql)
    {
        using (_writeGate.Enter())
        {
            using SqliteCommand command = _writer.Connection.CreateCommand();
            command.CommandText = sql;
            object? result = command.ExecuteScalar();
            return result is null or DBNull ? 0 : Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private static long ReadPragma(SqliteConnection connection, string pragma)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + pragma;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The smallest key above every key that starts with <paramref name="prefix"/>, or null when there is none.</summary>
    /// <remarks>
    /// Trailing 0xFF bytes cannot be incremented, so they are dropped and the byte before them is incremented
    /// (<c>61 FF</c> -> <c>62</c>). A prefix of only 0xFF bytes (or an empty one) has no upper bound.
    /// </remarks>
    internal static byte[]? UpperBound(ReadOnlySpan<byte> prefix)
    {
        int last = prefix.Length - 1;
        while (last >= 0 && prefix[last] == 0xFF)
        {
            last--;
        }

        if (last < 0)
        {
            return null;
        }

        byte[] bound = prefix.Slice(0, last + 1).ToArray();
        bound[last]++;
        return bound;
    }

    /// <summary>
    /// Reads the next page of a scan into <paramref name="page"/>: entries with keys from <paramref name="lower"/>
    /// (or strictly after <paramref name="after"/>) up to <paramref name="upper"/>. Returns whether more may follow.
    /// </summary>
    internal bool ReadPage(byte[] lower, byte[]? after, byte[]? upper, List<KeyValuePair<byte[], byte[]>> page)
    {
        page.Clear();
        EnterOperation();
        try
        {
            ReaderConnection reader = RentReader();
            try
            {
                return reader.ReadPage(lower, after, upper, page);
            }
            finally
            {
                ReturnReader(reader);
            }
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(e, _path, "read from");
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _lifetime.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_readers.TryTake(out ReaderConnection? reader))
            {
                reader.Dispose();
            }

            // The writer closes last: as the last connection it checkpoints the WAL and removes -wal and -shm.
            _writer.Dispose();
        }
        finally
        {
            _lifetime.ExitWriteLock();
        }
    }

    private void EnterOperation()
    {
        _lifetime.EnterReadLock();
        if (_disposed)
        {
            _lifetime.ExitReadLock();
            ObjectDisposedException.ThrowIf(true, this);
        }
    }

    private ReaderConnection RentReader()
    {
        if (_readers.TryTake(out ReaderConnection? reader))
        {
            return reader;
        }

        try
        {
            return ReaderConnection.Open(_connectionString, _synchronous);
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(e, _path, "open a reader on");
        }
    }

    private void ReturnReader(ReaderConnection reader)
    {
        // Runs under the shared lifetime lock, so Dispose cannot be draining the pool at the same time.
        if (_readers.Count < _maxIdleReaders)
        {
            _readers.Add(reader);
        }
        else
        {
            reader.Dispose();
        }
    }

    private static void CheckHeader(string fullPath)
    {
        Span<byte> header = stackalloc byte[16];
        int read;
        using (var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            if (stream.Length == 0)
            {
                // SQLite turns an empty file into a new database; nothing in it can be lost.
                return;
            }

            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        if (read < header.Length || !header.SequenceEqual(FileHeader))
        {
            throw new InvalidDataException(
                $"'{fullPath}' is not a SQLite database (it does not start with the SQLite file header); the file was left unchanged.");
        }
    }

    private static void DeleteIfCreated(string path, bool existedBefore)
    {
        if (existedBefore)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original failure is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static SqliteConnection OpenConnection(string connectionString, string synchronous)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using SqliteCommand pragmas = connection.CreateCommand();
            // synchronous is per connection and not stored in the file, so every connection sets it.
            pragmas.CommandText =
                $"PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=30000; PRAGMA cache_size=-8192; PRAGMA mmap_size=268435456;";
            pragmas.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (string name in parameters)
        {
            command.Parameters.Add(name, SqliteType.Blob);
        }

        command.Prepare();
        return command;
    }
}
