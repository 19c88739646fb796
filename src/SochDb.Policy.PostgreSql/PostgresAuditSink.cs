using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Npgsql;

namespace SochDb.Policy.PostgreSql;

/// <summary>
/// The durable audit log in PostgreSQL: a table (default <c>sochdb_audit</c>) with the columns of
/// <see cref="AuditSqlQuery"/>, plus a one-row checkpoint table for retention. Give it to an engine through
/// <c>AuditOptions.Sinks</c>; query, verify and prune it through <see cref="AuditLedger"/>.
/// </summary>
/// <remarks>
/// Each batch of entries is appended in one transaction; queries run on pooled connections meanwhile. A ledger has one
/// writer: its ids and hash chain continue from the last row it finds at start-up, so each engine (each worker of a
/// fleet) writes its own table, for example <c>sochdb_audit_worker1</c>; several tables are queried side by side.
/// Indexes on <c>agent_id</c>, <c>session_id</c> and <c>ts</c> keep filtered pages cheap. Failures are
/// <see cref="IOException"/>s naming the table (PostgreSQL's messages carry no key text).
/// <para>
/// A state table (the table's name plus <c>_state</c>) marks the log open while a writer has it and closed when that
/// writer is disposed; a writer that finds it still open (the previous one crashed or was killed) first appends a gap
/// record saying that entries after the last one may be missing. With <see cref="AuditDurability.WithWrite"/> and a
/// <see cref="PostgresStore"/> on the same database, the entries of writes are inserted in the writes' own
/// transactions.
/// </para>
/// </remarks>
public sealed class PostgresAuditSink : AuditLedger
{
    /// <summary>The default table name.</summary>
    public const string DefaultTableName = "sochdb_audit";

    private static readonly string[] ExpectedColumns =
        { "id", "ts", "operation", "key", "key_masked", "result", "rule", "reason", "agent_id", "session_id", "trace_id", "span_id", "hash" };

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;
    private readonly string _checkpointTable;
    private readonly string _stateTable;
    private readonly string _insert;
    private int _disposed;

    private PostgresAuditSink(NpgsqlDataSource dataSource, string table, AuditRetention? retention, byte[]? chainKey, string database)
        : base("postgresql:" + table, retention, chainKey)
    {
        _dataSource = dataSource;
        _table = table;
        _checkpointTable = table + "_checkpoint";
        _stateTable = table + "_state";
        _insert = AuditSqlQuery.Insert(table);
        Database = database;
    }

    /// <summary>The server and database the log lives in (<c>host:port/database</c>), to tell whether a store shares it.</summary>
    internal string Database { get; }

    /// <summary>The <c>INSERT</c> of one record into this log, for a store that inserts records in its own transaction.</summary>
    internal NpgsqlBatchCommand InsertCommand(AuditRecord record)
    {
        var command = new NpgsqlBatchCommand(_insert);
        object[] values = AuditSqlQuery.BindRecord(record);
        for (int i = 0; i < values.Length; i++)
        {
            command.Parameters.Add(new NpgsqlParameter { ParameterName = AuditSqlQuery.InsertParameters[i], Value = values[i] });
        }

        return command;
    }

    /// <summary>The audit table.</summary>
    public string TableName => _table;

    /// <summary>
    /// Connects and opens (creating if needed) the audit table. An existing log continues where it ended (its chain
    /// too).
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="options">Table name and retention; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="connectionString"/> is null.</exception>
    /// <exception cref="ArgumentException">The connection string is not valid, or the table name is not a plain identifier.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PostgresAuditSinkOptions.MaxAge"/> or <see cref="PostgresAuditSinkOptions.MaxEntries"/> is not positive.</exception>
    /// <exception cref="InvalidDataException">A table of that name exists with other columns (it is left unchanged).</exception>
    /// <exception cref="IOException">The server cannot be reached or refused the set-up.</exception>
    public static PostgresAuditSink Open(string connectionString, PostgresAuditSinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        options ??= new PostgresAuditSinkOptions();
        string table = AuditSqlQuery.Identifier(options.TableName);
        AuditRetention? retention = AuditRetention.Of(nameof(PostgresAuditSinkOptions), options.MaxAge, options.MaxEntries);
        if (options.ChainKey is { Length: < 16 } shortKey)
        {
            throw new ArgumentException($"PostgresAuditSinkOptions.ChainKey has {shortKey.Length} bytes; a chain key needs at least 16 (32 random bytes are best).", nameof(options));
        }

        var builder = new NpgsqlSlimDataSourceBuilder();
        try
        {
            builder.ConnectionStringBuilder.ConnectionString = connectionString;
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {e.Message}", nameof(connectionString), e);
        }

        NpgsqlDataSource dataSource = builder.Build();
        try
        {
            CreateSchema(dataSource, table);
            return new PostgresAuditSink(dataSource, table, retention, options.ChainKey, DatabaseOf(builder.ConnectionStringBuilder));
        }
        catch (NpgsqlException e)
        {
            dataSource.Dispose();
            throw new IOException($"Cannot open the PostgreSQL audit log (table {table}): {e.Message}", e);
        }
        catch
        {
            dataSource.Dispose();
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
    private protected override AuditCheckpoint? ReadCheckpoint() => Run(connection =>
    {
        using var command = new NpgsqlCommand($"SELECT last_id, last_hash, pruned, pruned_at FROM {_checkpointTable} WHERE one = 1", connection);
        using NpgsqlDataReader row = command.ExecuteReader();
        return row.Read()
            ? new AuditCheckpoint(row.GetInt64(0), row.GetFieldValue<byte[]>(1), row.GetInt64(2), new DateTimeOffset(row.GetInt64(3), TimeSpan.Zero))
            : null;
    });

    /// <inheritdoc />
    private protected override void AppendRecords(IReadOnlyList<AuditRecord> records) => Run(connection =>
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using var insert = new NpgsqlCommand(_insert, connection, transaction);
        foreach (string name in AuditSqlQuery.InsertParameters)
        {
            insert.Parameters.Add(new NpgsqlParameter { ParameterName = name });
        }

        foreach (AuditRecord record in records)
        {
            object[] values = AuditSqlQuery.BindRecord(record);
            for (int i = 0; i < values.Length; i++)
            {
                insert.Parameters[i].Value = values[i];
            }

            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return 0;
    });

    /// <inheritdoc />
    private protected override IReadOnlyList<AuditRecord> ReadRecords(AuditQuery query)
    {
        var parameters = new List<KeyValuePair<string, object>>();
        string sql = AuditSqlQuery.Select(_table, query, parameters);
        return Run(connection =>
        {
            using var command = new NpgsqlCommand(sql, connection);
            foreach (KeyValuePair<string, object> parameter in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter(parameter.Key, parameter.Value));
            }

            var records = new List<AuditRecord>(Math.Min(query.PageSize, 1024));
            using NpgsqlDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                records.Add(AuditSqlQuery.ReadRecord(reader));
            }

            return records;
        });
    }

    /// <inheritdoc />
    private protected override long? FindLastIdBefore(DateTimeOffset time) => Run(connection =>
    {
        using var command = new NpgsqlCommand($"SELECT max(id) FROM {_table} WHERE ts < @ts", connection);
        command.Parameters.Add(new NpgsqlParameter<long>("@ts", time.UtcTicks));
        return command.ExecuteScalar() is long id ? id : (long?)null;
    });

    /// <inheritdoc />
    private protected override void RemoveThrough(long lastId, AuditCheckpoint checkpoint) => Run(connection =>
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using (var delete = new NpgsqlCommand($"DELETE FROM {_table} WHERE id <= @id", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<long>("@id", lastId));
            delete.ExecuteNonQuery();
        }

        using (var save = new NpgsqlCommand(
            $"INSERT INTO {_checkpointTable} (one, last_id, last_hash, pruned, pruned_at) VALUES (1, @id, @hash, @pruned, @at) " +
            "ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash, pruned = excluded.pruned, pruned_at = excluded.pruned_at",
            connection, transaction))
        {
            save.Parameters.Add(new NpgsqlParameter<long>("@id", checkpoint.Id));
            save.Parameters.Add(new NpgsqlParameter<byte[]>("@hash", checkpoint.Hash));
            save.Parameters.Add(new NpgsqlParameter<long>("@pruned", checkpoint.PrunedCount));
            save.Parameters.Add(new NpgsqlParameter<long>("@at", checkpoint.PrunedAt.UtcTicks));
            save.ExecuteNonQuery();
        }

        transaction.Commit();
        return 0;
    });

    /// <summary><c>host:port/database</c> of a connection string: two that give the same name reach the same database.</summary>
    internal static string DatabaseOf(NpgsqlConnectionStringBuilder builder) =>
        $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username ?? "(default database)"}";

    /// <inheritdoc />
    private protected override bool OpenForWriting() => Run(connection =>
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        bool wasOpen;
        using (var read = new NpgsqlCommand($"SELECT open FROM {_stateTable} WHERE one = 1 FOR UPDATE", connection, transaction))
        {
            wasOpen = read.ExecuteScalar() is int open && open != 0;
        }

        using (var mark = new NpgsqlCommand(
            $"INSERT INTO {_stateTable} (one, open) VALUES (1, 1) ON CONFLICT (one) DO UPDATE SET open = 1", connection, transaction))
        {
            mark.ExecuteNonQuery();
        }

        transaction.Commit();
        return wasOpen;
    });

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        // Read before disposing: a writer that wrote closes the log, so the next one finds it closed cleanly.
        if (HasWritten && Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                Run(connection =>
                {
                    using var close = new NpgsqlCommand($"UPDATE {_stateTable} SET open = 0 WHERE one = 1", connection);
                    return close.ExecuteNonQuery();
                });
            }
            catch (IOException)
            {
                // The next writer then appends a gap record it did not need: harmless.
            }
        }

        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _dataSource.Dispose();
        }
    }

    private T Run<T>(Func<NpgsqlConnection, T> action)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            using NpgsqlConnection connection = _dataSource.OpenConnection();
            return action(connection);
        }
        catch (NpgsqlException e)
        {
            throw new IOException($"The PostgreSQL audit log (table {_table}) failed: {e.Message}", e);
        }
    }

    private static void CreateSchema(NpgsqlDataSource dataSource, string table)
    {
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using (var serialize = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7301897124)", connection, transaction))
        {
            serialize.ExecuteNonQuery();
        }

        var columns = new List<string>();
        using (var read = new NpgsqlCommand(
            "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass(@table) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string>("@table", table));
            using NpgsqlDataReader reader = read.ExecuteReader();
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        if (columns.Count > 0 && !columns.ToArray().AsSpan().SequenceEqual(ExpectedColumns))
        {
            throw new InvalidDataException(
                $"The table {table} is not a SochDB audit log (its columns are: {string.Join(", ", columns)}); it was left unchanged.");
        }

        // Index names are not schema-qualified: they live in their table's schema.
        string bare = table[(table.LastIndexOf('.') + 1)..];
        using (var create = new NpgsqlCommand(
            $"CREATE TABLE IF NOT EXISTS {table} (id bigint PRIMARY KEY, ts bigint NOT NULL, operation text NOT NULL, key bytea NOT NULL, " +
            "key_masked bigint NOT NULL, result text NOT NULL, rule text, reason text, agent_id text, session_id text, trace_id text, span_id text, " +
            "hash bytea NOT NULL);" +
            $"CREATE INDEX IF NOT EXISTS {bare}_agent ON {table} (agent_id, id);" +
            $"CREATE INDEX IF NOT EXISTS {bare}_session ON {table} (session_id, id);" +
            $"CREATE INDEX IF NOT EXISTS {bare}_ts ON {table} (ts);" +
            $"CREATE TABLE IF NOT EXISTS {table}_checkpoint (one integer PRIMARY KEY CHECK (one = 1), last_id bigint NOT NULL, " +
            "last_hash bytea NOT NULL, pruned bigint NOT NULL, pruned_at bigint NOT NULL);" +
            $"CREATE TABLE IF NOT EXISTS {table}_state (one integer PRIMARY KEY CHECK (one = 1), open integer NOT NULL);",
            connection, transaction))
        {
            create.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}

/// <summary>Options of <see cref="PostgresAuditSink.Open"/>.</summary>
public sealed record PostgresAuditSinkOptions
{
    /// <summary>The audit table (optionally <c>schema.table</c>; the checkpoint table is this plus <c>_checkpoint</c>); default <c>sochdb_audit</c>.</summary>
    public string TableName { get; init; } = PostgresAuditSink.DefaultTableName;

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
    /// write the table but does not hold the key cannot produce a chain that verifies. At least 16 bytes (32 random
    /// bytes are best); keep it outside the database, as a secret. A sink opened without the key (or with another)
    /// reads and queries a keyed log but refuses to extend it. Default null.
    /// </summary>
    public byte[]? ChainKey { get; init; }
}
