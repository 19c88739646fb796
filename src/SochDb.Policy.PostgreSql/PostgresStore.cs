using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using SochDb.Policy.Audit;

namespace SochDb.Policy.PostgreSql;

/// <summary>
/// A key-value store in one PostgreSQL table, shared by every application instance that opens the same table:
/// <c>bytea</c> keys in ordinal (<c>memcmp</c>) order like the other stores, each <see cref="Write"/> batch in one
/// transaction, scans streamed by key pages. Asynchronous end to end through Npgsql (its connection pool, statements
/// prepared once per physical connection); the synchronous members use Npgsql's synchronous I/O, not blocking waits.
/// </summary>
/// <remarks>
/// <para>
/// A scan reads <see cref="PostgresStoreOptions.ScanPageSize"/> entries per statement, the first when enumeration
/// starts and each next one when the caller has consumed the previous one; no connection is held between pages, so an
/// abandoned scan holds nothing. Each page is one consistent read; a scan spanning pages yields keys in strictly
/// increasing order, never one twice, and may see writes committed between its pages.
/// </para>
/// <para>
/// Failures: a server error, a lost connection or a timeout surfaces as <see cref="PostgresStoreException"/> naming the
/// operation and table. A failed batch applied nothing, except when the connection broke while the commit was in flight
/// (<see cref="PostgresStoreException.OutcomeUnknown"/>). Cancellation surfaces as <see cref="OperationCanceledException"/>.
/// </para>
/// </remarks>
public sealed class PostgresStore : IKeyValueStore, IAsyncDisposable, ITransactionalAuditStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresSchema _schema;
    private readonly int _pageSize;
    private readonly string _database;
    private int _disposed;

    private PostgresStore(NpgsqlDataSource dataSource, PostgresSchema schema, int pageSize, string database)
    {
        _dataSource = dataSource;
        _schema = schema;
        _pageSize = pageSize;
        _database = database;
    }

    /// <summary>The table holding the entries.</summary>
    public string TableName => _schema.TableName;

    /// <summary>
    /// Connects to PostgreSQL and opens the store, creating its table and index when missing (safe when several
    /// instances start at once).
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string (<c>Host=...;Database=...;Username=...</c>). Unless it sets
    /// <c>Max Auto Prepare</c>, the store turns on Npgsql's automatic statement preparation.</param>
    /// <param name="options">Table name and scan page size; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="connectionString"/> is null.</exception>
    /// <exception cref="ArgumentException">The connection string or an option is not valid.</exception>
    /// <exception cref="PostgresStoreException">The server cannot be reached or refused the connection or the table set-up.</exception>
    /// <exception cref="System.IO.InvalidDataException">A table of that name exists with other columns.</exception>
    public static PostgresStore Open(string connectionString, PostgresStoreOptions? options = null) =>
        OpenCore(connectionString, options, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Asynchronous <see cref="Open"/>: connects and opens the store, creating its table and index when missing.</summary>
    /// <param name="connectionString">An Npgsql connection string, as for <see cref="Open"/>.</param>
    /// <param name="options">Table name and scan page size; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <inheritdoc cref="Open" path="/exception"/>
    public static Task<PostgresStore> OpenAsync(string connectionString, PostgresStoreOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenCore(connectionString, options, async: true, cancellationToken).AsTask();

    /// <inheritdoc />
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        IKeyValueStore.ValidateKey(key);
        ThrowIfDisposed();
        PutCore(key.ToArray(), value.ToArray(), async: false, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        IKeyValueStore.ValidateKey(key.Span);
        ThrowIfDisposed();
        return PutCore(key, value, async: true, cancellationToken);
    }

    /// <inheritdoc />
    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        IKeyValueStore.ValidateKey(key);
        ThrowIfDisposed();
        value = GetCore(key.ToArray(), async: false, CancellationToken.None).GetAwaiter().GetResult();
        return value is not null;
    }

    /// <inheritdoc />
    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        IKeyValueStore.ValidateKey(key.Span);
        ThrowIfDisposed();
        return GetCore(key, async: true, cancellationToken);
    }

    /// <inheritdoc />
    public bool Delete(ReadOnlySpan<byte> key)
    {
        IKeyValueStore.ValidateKey(key);
        ThrowIfDisposed();
        return DeleteCore(key.ToArray(), async: false, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        IKeyValueStore.ValidateKey(key.Span);
        ThrowIfDisposed();
        return DeleteCore(key, async: true, cancellationToken);
    }

    /// <inheritdoc />
    public void Write(WriteBatch batch)
    {
        IReadOnlyList<(byte[] Key, byte[]? Value)> operations = CheckBatch(batch);
        ThrowIfDisposed();
        WriteCore(operations, async: false, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<(byte[] Key, byte[]? Value)> operations = CheckBatch(batch);
        ThrowIfDisposed();
        return Completion(WriteCore(operations, async: true, cancellationToken));

        static async ValueTask Completion(ValueTask<int> write) => await write.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix)
    {
        ThrowIfDisposed();
        return ScanPages(prefix.ToArray(), PostgresSchema.UpperBound(prefix));
    }

    /// <inheritdoc />
    public IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken = default) =>
        ScanPagesAsync(prefix.ToArray(), PostgresSchema.UpperBound(prefix.Span), cancellationToken);

    /// <inheritdoc />
    bool ITransactionalAuditStore.SharesDatabaseWith(AuditLedger ledger) =>
        ledger is PostgresAuditLedger sink && string.Equals(sink.Database, _database, StringComparison.Ordinal);

    /// <inheritdoc />
    void ITransactionalAuditStore.Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, AuditLedger ledger, AuditEntry entry)
    {
        IKeyValueStore.ValidateKey(key);
        WriteAudited([(key.ToArray(), value.ToArray())], ledger, [entry]);
    }

    /// <inheritdoc />
    bool ITransactionalAuditStore.Delete(ReadOnlySpan<byte> key, AuditLedger ledger, AuditEntry entry)
    {
        IKeyValueStore.ValidateKey(key);
        return WriteAudited([(key.ToArray(), null)], ledger, [entry]) > 0;
    }

    /// <inheritdoc />
    void ITransactionalAuditStore.Write(WriteBatch batch, AuditLedger ledger, IReadOnlyList<AuditEntry> entries) =>
        WriteAudited(CheckBatch(batch), ledger, entries);

    // The data and the ledger's records in one transaction; returns the rows the deletes removed. The ledger chains the
    // records under its chain lock and moves its head only once this commits.
    private int WriteAudited(IReadOnlyList<(byte[] Key, byte[]? Value)> operations, AuditLedger ledger, IReadOnlyList<AuditEntry> entries)
    {
        if (ledger is not PostgresAuditLedger sink || !string.Equals(sink.Database, _database, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The audit log {ledger.Name} is not in the store's database {_database}: one transaction cannot cover both.");
        }

        ThrowIfDisposed();
        int removed = 0;
        ledger.AppendWithWrite(entries, records =>
            removed = WriteCore(operations, async: false, CancellationToken.None, sink, records).GetAwaiter().GetResult());
        return removed;
    }

    /// <summary>Closes the connection pool. Operations in flight finish or fail; later ones throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _dataSource.Dispose();
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async ValueTask<PostgresStore> OpenCore(string connectionString, PostgresStoreOptions? options, bool async, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        options ??= new PostgresStoreOptions();
        options.Validate();

        var builder = new NpgsqlSlimDataSourceBuilder();
        try
        {
            builder.ConnectionStringBuilder.ConnectionString = connectionString;
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {e.Message}", nameof(connectionString), e);
        }

        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            // Prepare every statement of the store on first use on each physical connection; pooled connections keep them.
            builder.ConnectionStringBuilder.MaxAutoPrepare = 16;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 1;
        }

        string where = $"{builder.ConnectionStringBuilder.Host}:{builder.ConnectionStringBuilder.Port}/{builder.ConnectionStringBuilder.Database ?? "(default database)"}";
        NpgsqlDataSource dataSource = builder.Build();
        var schema = new PostgresSchema(options.TableName);
        try
        {
            await EnsureTable(dataSource, schema, where, async, cancellationToken).ConfigureAwait(false);
            return new PostgresStore(dataSource, schema, options.ScanPageSize, PostgresAuditLedger.DatabaseOf(builder.ConnectionStringBuilder));
        }
        catch (Exception e)
        {
            if (async)
            {
                await dataSource.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                dataSource.Dispose();
            }

            if (IsStoreFailure(e))
            {
                throw new PostgresStoreException($"Cannot open the PostgreSQL store (table \"{schema.TableName}\") at {where}: {e.Message}", e);
            }

            throw;
        }
    }

    private static async ValueTask EnsureTable(NpgsqlDataSource dataSource, PostgresSchema schema, string where, bool async, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await OpenConnection(dataSource, async, cancellationToken).ConfigureAwait(false);
        try
        {
            NpgsqlTransaction transaction = async
                ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false)
                : connection.BeginTransaction();
            using (transaction)
            {
                await Execute(new NpgsqlCommand(PostgresSchema.CreationLock, connection, transaction), async, cancellationToken).ConfigureAwait(false);
                CheckColumns(await ReadColumns(connection, transaction, schema, async, cancellationToken).ConfigureAwait(false), schema, where);
                await Execute(new NpgsqlCommand(schema.Create, connection, transaction), async, cancellationToken).ConfigureAwait(false);
                if (async)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    transaction.Commit();
                }
            }
        }
        finally
        {
            await Close(connection, async).ConfigureAwait(false);
        }
    }

    private static async ValueTask<List<string>> ReadColumns(NpgsqlConnection connection, NpgsqlTransaction transaction, PostgresSchema schema, bool async, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(PostgresSchema.Columns, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = '"' + schema.TableName + '"' });
        var columns = new List<string>();
        NpgsqlDataReader reader = async ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteReader();
        using (reader)
        {
            while (async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read())
            {
                columns.Add($"{reader.GetString(0)} {reader.GetString(1)}{(reader.GetBoolean(2) ? " not null" : "")}");
            }
        }

        return columns;
    }

    private static void CheckColumns(List<string> columns, PostgresSchema schema, string where)
    {
        if (columns.Count > 0 && !(columns.Count == 2 && columns[0] == "k bytea not null" && columns[1] == "v bytea not null"))
        {
            throw new System.IO.InvalidDataException(
                $"The table \"{schema.TableName}\" at {where} is not a SochDB store (its columns are: {string.Join(", ", columns)}); it was left unchanged. Choose another TableName.");
        }
    }

    private async ValueTask PutCore(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, bool async, CancellationToken cancellationToken)
    {
        try
        {
            NpgsqlConnection connection = await OpenConnection(_dataSource, async, cancellationToken).ConfigureAwait(false);
            try
            {
                var command = new NpgsqlCommand(_schema.Put, connection) { Parameters = { Bytes(key), Bytes(value) } };
                await Execute(command, async, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await Close(connection, async).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failure("put of", key, e, "; nothing was written");
        }
    }

    private async ValueTask<byte[]?> GetCore(ReadOnlyMemory<byte> key, bool async, CancellationToken cancellationToken)
    {
        try
        {
            NpgsqlConnection connection = await OpenConnection(_dataSource, async, cancellationToken).ConfigureAwait(false);
            try
            {
                using var command = new NpgsqlCommand(_schema.Get, connection) { Parameters = { Bytes(key) } };
                object? value = async ? await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteScalar();
                return (byte[]?)value;
            }
            finally
            {
                await Close(connection, async).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failure("read of", key, e, "");
        }
    }

    private async ValueTask<bool> DeleteCore(ReadOnlyMemory<byte> key, bool async, CancellationToken cancellationToken)
    {
        try
        {
            NpgsqlConnection connection = await OpenConnection(_dataSource, async, cancellationToken).ConfigureAwait(false);
            try
            {
                var command = new NpgsqlCommand(_schema.Delete, connection) { Parameters = { Bytes(key) } };
                return await Execute(command, async, cancellationToken).ConfigureAwait(false) > 0;
            }
            finally
            {
                await Close(connection, async).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failure("delete of", key, e, "; nothing was deleted");
        }
    }

    /// <summary>
    /// The batch in one transaction, with <paramref name="records"/> inserted into <paramref name="log"/> in the same
    /// transaction when given; returns the rows the deletes removed.
    /// </summary>
    private async ValueTask<int> WriteCore(IReadOnlyList<(byte[] Key, byte[]? Value)> operations, bool async, CancellationToken cancellationToken,
        PostgresAuditLedger? log = null, IReadOnlyList<AuditRecord>? records = null)
    {
        if (operations.Count == 0)
        {
            return 0;
        }

        bool committing = false;
        try
        {
            NpgsqlConnection connection = await OpenConnection(_dataSource, async, cancellationToken).ConfigureAwait(false);
            try
            {
                NpgsqlTransaction transaction = async
                    ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false)
                    : connection.BeginTransaction();
                using (transaction)
                {
                    // One round trip for every statement (BEGIN goes with them), one more for COMMIT.
                    using var batch = new NpgsqlBatch(connection, transaction);
                    foreach ((byte[] key, byte[]? value) in operations)
                    {
                        batch.BatchCommands.Add(value is null
                            ? new NpgsqlBatchCommand(_schema.Delete) { Parameters = { Bytes(key) } }
                            : new NpgsqlBatchCommand(_schema.Put) { Parameters = { Bytes(key), Bytes(value) } });
                    }

                    if (log is not null && records is not null)
                    {
                        foreach (AuditRecord record in records)
                        {
                            batch.BatchCommands.Add(log.InsertCommand(record));
                        }
                    }

                    if (async)
                    {
                        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        batch.ExecuteNonQuery();
                    }

                    int removed = 0;
                    for (int i = 0; i < operations.Count; i++)
                    {
                        if (operations[i].Value is null)
                        {
                            removed += batch.BatchCommands[i].RecordsAffected;
                        }
                    }

                    // Once every statement ran, the commit is not cancelled: a cancelled commit would leave the outcome unknown.
                    committing = true;
                    if (async)
                    {
                        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        transaction.Commit();
                    }

                    return removed;
                }
            }
            finally
            {
                await Close(connection, async).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            bool unknown = committing && e is not PostgresException { SqlState: not ("57P01" or "57P02" or "57P03") and not ['0', '8', ..] };
            string outcome = unknown
                ? "the connection failed while the commit was in flight, so the batch may or may not have been applied"
                : "nothing of the batch was applied";
            throw new PostgresStoreException(
                $"PostgreSQL write of a batch of {operations.Count} operation(s) to table \"{_schema.TableName}\" failed: {e.Message}; {outcome}.", e, unknown);
        }
    }

    /// <summary>Reads page after page as the caller advances; nothing is read before the first MoveNext.</summary>
    private IEnumerable<KeyValuePair<byte[], byte[]>> ScanPages(byte[] lower, byte[]? upper)
    {
        bool first = true;
        while (true)
        {
            ThrowIfDisposed();
            List<KeyValuePair<byte[], byte[]>> page = ReadPage(lower, upper, first, async: false, CancellationToken.None).GetAwaiter().GetResult();
            foreach (KeyValuePair<byte[], byte[]> entry in page)
            {
                yield return entry;
            }

            if (page.Count < _pageSize)
            {
                yield break;
            }

            lower = page[^1].Key;
            first = false;
        }
    }

    private async IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanPagesAsync(byte[] lower, byte[]? upper, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool first = true;
        while (true)
        {
            ThrowIfDisposed();
            List<KeyValuePair<byte[], byte[]>> page = await ReadPage(lower, upper, first, async: true, cancellationToken).ConfigureAwait(false);
            foreach (KeyValuePair<byte[], byte[]> entry in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return entry;
            }

            if (page.Count < _pageSize)
            {
                yield break;
            }

            lower = page[^1].Key;
            first = false;
        }
    }

    private async ValueTask<List<KeyValuePair<byte[], byte[]>>> ReadPage(byte[] lower, byte[]? upper, bool first, bool async, CancellationToken cancellationToken)
    {
        try
        {
            NpgsqlConnection connection = await OpenConnection(_dataSource, async, cancellationToken).ConfigureAwait(false);
            try
            {
                using var command = new NpgsqlCommand { Connection = connection };
                command.Parameters.Add(Bytes(lower));
                if (upper is null)
                {
                    command.CommandText = first ? _schema.ScanFirstOpen : _schema.ScanNextOpen;
                }
                else
                {
                    command.CommandText = first ? _schema.ScanFirstBounded : _schema.ScanNextBounded;
                    command.Parameters.Add(Bytes(upper));
                }

                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _pageSize });
                var page = new List<KeyValuePair<byte[], byte[]>>(Math.Min(_pageSize, 1024));
                NpgsqlDataReader reader = async ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteReader();
                using (reader)
                {
                    while (async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read())
                    {
                        page.Add(new KeyValuePair<byte[], byte[]>(reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1)));
                    }
                }

                return page;
            }
            finally
            {
                await Close(connection, async).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failure("scan from", lower, e, "");
        }
    }

    private static IReadOnlyList<(byte[] Key, byte[]? Value)> CheckBatch(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        IReadOnlyList<(byte[] Key, byte[]? Value)> operations = batch.Operations;
        for (int i = 0; i < operations.Count; i++)
        {
            // WriteBatch validates as operations are added; checked again so nothing is applied if one is bad.
            IKeyValueStore.ValidateKey(operations[i].Key, nameof(batch));
        }

        return operations;
    }

    private static NpgsqlParameter<ReadOnlyMemory<byte>> Bytes(ReadOnlyMemory<byte> bytes) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea, TypedValue = bytes };

    private static async ValueTask<NpgsqlConnection> OpenConnection(NpgsqlDataSource dataSource, bool async, CancellationToken cancellationToken) =>
        async ? await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false) : dataSource.OpenConnection();

    private static async ValueTask Close(NpgsqlConnection connection, bool async)
    {
        if (async)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            connection.Dispose();
        }
    }

    private static async ValueTask<int> Execute(NpgsqlCommand command, bool async, CancellationToken cancellationToken)
    {
        using (command)
        {
            return async ? await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteNonQuery();
        }
    }

    /// <summary>Failures to report as <see cref="PostgresStoreException"/>; cancellation and disposal pass through.</summary>
    private static bool IsStoreFailure(Exception e) => e is NpgsqlException or TimeoutException;

    private PostgresStoreException Failure(string operation, ReadOnlyMemory<byte> key, Exception e, string consequence) =>
        new($"PostgreSQL {operation} key {KeyText.Describe(key.Span)} in table \"{_schema.TableName}\" failed: {e.Message}{consequence}.", e);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
