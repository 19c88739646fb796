using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace SochDb.Policy.PostgreSql;

/// <summary>
/// Approval requests in a PostgreSQL table, shared by a fleet: every engine given this store (through
/// <see cref="PolicyEngineOptions.ApprovalStore"/>) lists and decides the same requests, and they outlive any process.
/// </summary>
/// <remarks>
/// A request is a row (<c>id, payload, created_at, expires_at, state, decided_by, rejection_reason</c>; the payload is
/// what will run, value included, as <see cref="ApprovalRequest.ToPayload"/> encodes it). A decision is one
/// <c>UPDATE … WHERE id = @id AND state = 0 RETURNING …</c>: PostgreSQL locks the row, so of many engines deciding one
/// id exactly one changes it. Adding a request takes a transaction-scoped advisory lock so the pending count that
/// <see cref="PolicyApprovals.MaxPending"/> bounds is exact across the fleet. A failure surfaces as
/// <see cref="PostgresStoreException"/> naming the table and the server. Listing, deciding and expiring have
/// asynchronous twins over Npgsql's asynchronous calls (used by <see cref="PolicyApprovals.ApproveAsync"/> and its kin).
/// </remarks>
public sealed class PostgresApprovalStore : IApprovalStore, IDisposable
{
    /// <summary>The default table name.</summary>
    public const string DefaultTableName = "sochdb_approvals";

    private const string Columns = "id, payload, created_at, expires_at, state, decided_by, rejection_reason";
    private const int Pending = (int)ApprovalState.Pending;
    private const int Expired = (int)ApprovalState.Expired;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;
    private readonly string _where;

    private PostgresApprovalStore(NpgsqlDataSource dataSource, string table, string where)
    {
        _dataSource = dataSource;
        _table = table;
        _where = where;
    }

    /// <summary>The table holding the requests.</summary>
    public string TableName => _table;

    /// <summary>Connects and opens the store, creating its table when missing (safe when several instances start at once).</summary>
    /// <param name="connectionString">An Npgsql connection string (<c>Host=...;Database=...;Username=...</c>).</param>
    /// <param name="tableName">A plain identifier (letters, digits, underscores); default <see cref="DefaultTableName"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="connectionString"/> is null.</exception>
    /// <exception cref="ArgumentException">The connection string or the table name is not valid.</exception>
    /// <exception cref="PostgresStoreException">The server cannot be reached or refused the table set-up.</exception>
    public static PostgresApprovalStore Open(string connectionString, string tableName = DefaultTableName)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(tableName);
        if (tableName.Length is 0 or > 48 || !IsPlainIdentifier(tableName))
        {
            throw new ArgumentException($"The approval table name \"{tableName}\" must be 1 to 48 letters, digits or underscores, not starting with a digit.", nameof(tableName));
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

        string where = $"{builder.ConnectionStringBuilder.Host}:{builder.ConnectionStringBuilder.Port}/{builder.ConnectionStringBuilder.Database ?? "(default database)"}";
        NpgsqlDataSource dataSource = builder.Build();
        var store = new PostgresApprovalStore(dataSource, tableName, where);
        try
        {
            store.Run("create", connection =>
            {
                using NpgsqlTransaction transaction = connection.BeginTransaction();
                // Serialises concurrent creation across instances (CREATE TABLE IF NOT EXISTS alone can race).
                Execute(connection, transaction, "SELECT pg_advisory_xact_lock(7305761203)");
                Execute(connection, transaction,
                    $"CREATE TABLE IF NOT EXISTS {tableName} (id text PRIMARY KEY, payload bytea NOT NULL, created_at bigint NOT NULL, "
                    + "expires_at bigint NOT NULL, state smallint NOT NULL, decided_by text, rejection_reason text); "
                    + $"CREATE INDEX IF NOT EXISTS {tableName}_pending ON {tableName} (state, expires_at, created_at)");
                transaction.Commit();
                return 0;
            });
            return store;
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public bool TryAdd(ApprovalRequest request, int maxPending) => Run("record an approval request in", connection =>
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        // One adder at a time per table, so the count below is exact across the fleet.
        using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@table))", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("table", _table);
            lockCommand.ExecuteNonQuery();
        }

        using var insert = new NpgsqlCommand(
            $"INSERT INTO {_table} ({Columns}) SELECT @id, @payload, @created, @expires, {Pending}, NULL, NULL "
            + $"WHERE (SELECT count(*) FROM {_table} WHERE state = {Pending} AND expires_at > @created) < @max", connection, transaction);
        insert.Parameters.AddWithValue("id", request.Id);
        insert.Parameters.AddWithValue("payload", request.ToPayload());
        insert.Parameters.AddWithValue("created", request.CreatedAt.UtcTicks);
        insert.Parameters.AddWithValue("expires", request.ExpiresAt.UtcTicks);
        insert.Parameters.AddWithValue("max", (long)maxPending);
        bool added = insert.ExecuteNonQuery() == 1;
        transaction.Commit();
        return added;
    });

    /// <inheritdoc />
    public ApprovalRequest? Find(string approvalId) => Run("read approvals from", connection =>
    {
        List<ApprovalRequest> found = ReadAll(FindCommand(connection, approvalId));
        return found.Count == 0 ? null : found[0];
    });

    /// <inheritdoc />
    public IReadOnlyList<ApprovalRequest> ListPending(DateTimeOffset now, int limit) =>
        Run("read approvals from", connection => (IReadOnlyList<ApprovalRequest>)ReadAll(ListPendingCommand(connection, now, limit)));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ApprovalRequest>> ListPendingAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        RunAsync("read approvals from", async connection =>
            (IReadOnlyList<ApprovalRequest>)await ReadAllAsync(ListPendingCommand(connection, now, limit), cancellationToken).ConfigureAwait(false), cancellationToken);

    /// <inheritdoc />
    public ApprovalState? TryDecide(string approvalId, ApprovalState decision, DateTimeOffset now, string? decidedBy, string? rejectionReason,
        out ApprovalRequest? request)
    {
        (ApprovalState? found, ApprovalRequest? after) = Run("decide an approval in", connection =>
        {
            List<ApprovalRequest> changed = ReadAll(DecideCommand(connection, approvalId, decision, now, decidedBy, rejectionReason));
            return changed.Count == 1 ? Decided(changed[0]) : Existing(ReadAll(FindCommand(connection, approvalId)));
        });
        request = after;
        return found;
    }

    /// <inheritdoc />
    public ValueTask<(ApprovalState? Was, ApprovalRequest? Request)> TryDecideAsync(string approvalId, ApprovalState decision, DateTimeOffset now,
        string? decidedBy, string? rejectionReason, CancellationToken cancellationToken = default) =>
        RunAsync("decide an approval in", async connection =>
        {
            List<ApprovalRequest> changed = await ReadAllAsync(DecideCommand(connection, approvalId, decision, now, decidedBy, rejectionReason), cancellationToken)
                .ConfigureAwait(false);
            return changed.Count == 1 ? Decided(changed[0]) : Existing(await ReadAllAsync(FindCommand(connection, approvalId), cancellationToken).ConfigureAwait(false));
        }, cancellationToken);

    /// <inheritdoc />
    public IReadOnlyList<ApprovalRequest> ExpireOverdue(DateTimeOffset now, int limit) =>
        Run("expire approvals in", connection => (IReadOnlyList<ApprovalRequest>)ReadAll(ExpireCommand(connection, now, limit)));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ApprovalRequest>> ExpireOverdueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        RunAsync("expire approvals in", async connection =>
            (IReadOnlyList<ApprovalRequest>)await ReadAllAsync(ExpireCommand(connection, now, limit), cancellationToken).ConfigureAwait(false), cancellationToken);

    // The one atomic change: only a row still pending moves (to Expired when overdue), and the statement returns it.
    private NpgsqlCommand DecideCommand(NpgsqlConnection connection, string approvalId, ApprovalState decision, DateTimeOffset now, string? decidedBy,
        string? rejectionReason)
    {
        var update = new NpgsqlCommand(
            $"UPDATE {_table} SET state = CASE WHEN expires_at > @now THEN @decision ELSE {Expired} END, "
            + "decided_by = CASE WHEN expires_at > @now THEN @by END, "
            + "rejection_reason = CASE WHEN expires_at > @now THEN @reason END "
            + $"WHERE id = @id AND state = {Pending} RETURNING {Columns}", connection);
        update.Parameters.AddWithValue("now", now.UtcTicks);
        update.Parameters.AddWithValue("decision", (short)decision);
        update.Parameters.Add(new NpgsqlParameter<string?>("by", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = decidedBy });
        update.Parameters.Add(new NpgsqlParameter<string?>("reason", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = rejectionReason });
        update.Parameters.AddWithValue("id", approvalId);
        return update;
    }

    private NpgsqlCommand FindCommand(NpgsqlConnection connection, string approvalId)
    {
        var select = new NpgsqlCommand($"SELECT {Columns} FROM {_table} WHERE id = @id", connection);
        select.Parameters.AddWithValue("id", approvalId);
        return select;
    }

    private NpgsqlCommand ListPendingCommand(NpgsqlConnection connection, DateTimeOffset now, int limit)
    {
        var select = new NpgsqlCommand(
            $"SELECT {Columns} FROM {_table} WHERE state = {Pending} AND expires_at > @now ORDER BY created_at, id LIMIT @limit", connection);
        select.Parameters.AddWithValue("now", now.UtcTicks);
        select.Parameters.AddWithValue("limit", (long)limit);
        return select;
    }

    private NpgsqlCommand ExpireCommand(NpgsqlConnection connection, DateTimeOffset now, int limit)
    {
        var update = new NpgsqlCommand(
            $"UPDATE {_table} SET state = {Expired} WHERE id IN (SELECT id FROM {_table} WHERE state = {Pending} AND expires_at <= @now "
            + $"LIMIT @limit FOR UPDATE SKIP LOCKED) AND state = {Pending} RETURNING {Columns}", connection);
        update.Parameters.AddWithValue("now", now.UtcTicks);
        update.Parameters.AddWithValue("limit", (long)limit);
        return update;
    }

    // The row this call moved: Pending when it decided it, Expired when it found it overdue.
    private static (ApprovalState?, ApprovalRequest?) Decided(ApprovalRequest row) =>
        (row.State == ApprovalState.Expired ? ApprovalState.Expired : ApprovalState.Pending, row);

    // Nothing moved: the request as it stands (already decided), or unknown.
    private static (ApprovalState?, ApprovalRequest?) Existing(List<ApprovalRequest> rows) =>
        rows.Count == 0 ? (null, null) : (rows[0].State, rows[0]);

    /// <inheritdoc />
    public int Forget(DateTimeOffset endedBefore) => Run("forget approvals in", connection =>
    {
        using var delete = new NpgsqlCommand($"DELETE FROM {_table} WHERE state <> {Pending} AND expires_at < @before", connection);
        delete.Parameters.AddWithValue("before", endedBefore.UtcTicks);
        return delete.ExecuteNonQuery();
    });

    /// <summary>Closes the store's connections.</summary>
    public void Dispose() => _dataSource.Dispose();

    private T Run<T>(string what, Func<NpgsqlConnection, T> body)
    {
        try
        {
            using NpgsqlConnection connection = _dataSource.OpenConnection();
            return body(connection);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new PostgresStoreException($"Cannot {what} the PostgreSQL approval store (table \"{_table}\") at {_where}: {e.Message}", e);
        }
    }

    private async ValueTask<T> RunAsync<T>(string what, Func<NpgsqlConnection, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await body(connection).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new PostgresStoreException($"Cannot {what} the PostgreSQL approval store (table \"{_table}\") at {_where}: {e.Message}", e);
        }
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    private static List<ApprovalRequest> ReadAll(NpgsqlCommand command)
    {
        using (command)
        {
            var requests = new List<ApprovalRequest>();
            using NpgsqlDataReader row = command.ExecuteReader();
            while (row.Read())
            {
                requests.Add(Request(row));
            }

            return requests;
        }
    }

    private static async Task<List<ApprovalRequest>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command.ConfigureAwait(false))
        {
            var requests = new List<ApprovalRequest>();
            NpgsqlDataReader row = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (row.ConfigureAwait(false))
            {
                while (await row.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    requests.Add(Request(row));
                }
            }

            return requests;
        }
    }

    private static ApprovalRequest Request(NpgsqlDataReader row) => ApprovalRequest.FromStore(
        row.GetString(0),
        row.GetFieldValue<byte[]>(1),
        new DateTimeOffset(row.GetInt64(2), TimeSpan.Zero),
        new DateTimeOffset(row.GetInt64(3), TimeSpan.Zero),
        (ApprovalState)row.GetInt16(4),
        row.IsDBNull(5) ? null : row.GetString(5),
        row.IsDBNull(6) ? null : row.GetString(6));

    private static bool IsPlainIdentifier(string name)
    {
        if (char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetter(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}
