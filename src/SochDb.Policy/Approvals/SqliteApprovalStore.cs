using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Microsoft.Data.Sqlite;

namespace SochDb.Policy;

/// <summary>
/// Approval requests in a table of a SQLite file (by default the store's own file: <c>sochdb_approvals</c>), so they
/// survive a restart and every process that opens the file sees and decides the same requests.
/// </summary>
/// <remarks>
/// Approvals are rare, so each call opens a connection of its own and closes it (nothing stays open between calls, and
/// nothing needs disposing). Writes are committed with <c>synchronous=FULL</c>: a request is on disk before the caller
/// learns its id. A decision is one <c>UPDATE … WHERE id = $id AND state = 0</c>: SQLite runs one writer at a time, so of
/// many processes deciding one id exactly one changes the row. After the table is created, connections open the file
/// read-write without creating it, so a file that went missing is an error, not a new empty store.
/// </remarks>
internal sealed class SqliteApprovalStore : IApprovalStore
{
    public const string DefaultTableName = "sochdb_approvals";

    private const string Columns = "id, payload, created_at, expires_at, state, decided_by, rejection_reason";
    private const int Pending = (int)ApprovalState.Pending;
    private const int Expired = (int)ApprovalState.Expired;

    private readonly string _path;
    private readonly string _table;
    private readonly string _connectionString;
    private int _created;

    public SqliteApprovalStore(string path, string table = DefaultTableName)
    {
        _path = Path.GetFullPath(path);
        _table = table;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string FilePath => _path;

    public bool TryAdd(ApprovalRequest request, int maxPending) => Run("record an approval request in", connection =>
    {
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText =
            $"INSERT INTO {_table} ({Columns}) SELECT $id, $payload, $created, $expires, {Pending}, NULL, NULL "
            + $"WHERE (SELECT count(*) FROM {_table} WHERE state = {Pending} AND expires_at > $created) < $max";
        insert.Parameters.AddWithValue("$id", request.Id);
        insert.Parameters.AddWithValue("$payload", request.ToPayload());
        insert.Parameters.AddWithValue("$created", request.CreatedAt.UtcTicks);
        insert.Parameters.AddWithValue("$expires", request.ExpiresAt.UtcTicks);
        insert.Parameters.AddWithValue("$max", maxPending);
        return insert.ExecuteNonQuery() == 1;
    });

    public ApprovalRequest? Find(string approvalId) => Run("read approvals from", connection =>
    {
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = $"SELECT {Columns} FROM {_table} WHERE id = $id";
        select.Parameters.AddWithValue("$id", approvalId);
        List<ApprovalRequest> found = ReadAll(select);
        return found.Count == 0 ? null : found[0];
    });

    public IReadOnlyList<ApprovalRequest> ListPending(DateTimeOffset now, int limit) => Run("read approvals from", connection =>
    {
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = $"SELECT {Columns} FROM {_table} WHERE state = {Pending} AND expires_at > $now ORDER BY created_at, id LIMIT $limit";
        select.Parameters.AddWithValue("$now", now.UtcTicks);
        select.Parameters.AddWithValue("$limit", limit);
        return (IReadOnlyList<ApprovalRequest>)ReadAll(select);
    });

    public ApprovalState? TryDecide(string approvalId, ApprovalState decision, DateTimeOffset now, string? decidedBy, string? rejectionReason,
        out ApprovalRequest? request)
    {
        (ApprovalState? found, ApprovalRequest? after) = Run("decide an approval in", connection =>
        {
            // The one atomic change: only a row still pending moves, and the statement reports the row as it now is.
            using SqliteCommand update = connection.CreateCommand();
            update.CommandText =
                $"UPDATE {_table} SET state = CASE WHEN expires_at > $now THEN $decision ELSE {Expired} END, "
                + "decided_by = CASE WHEN expires_at > $now THEN $by END, "
                + "rejection_reason = CASE WHEN expires_at > $now THEN $reason END "
                + $"WHERE id = $id AND state = {Pending} RETURNING {Columns}";
            update.Parameters.AddWithValue("$now", now.UtcTicks);
            update.Parameters.AddWithValue("$decision", (int)decision);
            update.Parameters.AddWithValue("$by", (object?)decidedBy ?? DBNull.Value);
            update.Parameters.AddWithValue("$reason", (object?)rejectionReason ?? DBNull.Value);
            update.Parameters.AddWithValue("$id", approvalId);
            List<ApprovalRequest> changed = ReadAll(update);
            if (changed.Count == 1)
            {
                ApprovalRequest row = changed[0];
                return (row.State == ApprovalState.Expired ? ApprovalState.Expired : ApprovalState.Pending, row);
            }

            using SqliteCommand select = connection.CreateCommand();
            select.CommandText = $"SELECT {Columns} FROM {_table} WHERE id = $id";
            select.Parameters.AddWithValue("$id", approvalId);
            List<ApprovalRequest> existing = ReadAll(select);
            return existing.Count == 0 ? ((ApprovalState?)null, (ApprovalRequest?)null) : (existing[0].State, existing[0]);
        });
        request = after;
        return found;
    }

    public IReadOnlyList<ApprovalRequest> ExpireOverdue(DateTimeOffset now, int limit) => Run("expire approvals in", connection =>
    {
        using SqliteCommand update = connection.CreateCommand();
        update.CommandText =
            $"UPDATE {_table} SET state = {Expired} WHERE id IN (SELECT id FROM {_table} WHERE state = {Pending} AND expires_at <= $now LIMIT $limit) "
            + $"RETURNING {Columns}";
        update.Parameters.AddWithValue("$now", now.UtcTicks);
        update.Parameters.AddWithValue("$limit", limit);
        return (IReadOnlyList<ApprovalRequest>)ReadAll(update);
    });

    public int Forget(DateTimeOffset endedBefore) => Run("forget approvals in", connection =>
    {
        using SqliteCommand delete = connection.CreateCommand();
        delete.CommandText = $"DELETE FROM {_table} WHERE state <> {Pending} AND expires_at < $before";
        delete.Parameters.AddWithValue("$before", endedBefore.UtcTicks);
        return delete.ExecuteNonQuery();
    });

    private T Run<T>(string what, Func<SqliteConnection, T> body)
    {
        try
        {
            using SqliteConnection connection = Open();
            return body(connection);
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(e, _path, what);
        }
    }

    private SqliteConnection Open()
    {
        if (Volatile.Read(ref _created) == 0)
        {
            CreateTable();
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using SqliteCommand pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void CreateTable()
    {
        if (!File.Exists(_path))
        {
            throw new IOException($"Cannot use the approval store in '{_path}': the file does not exist.");
        }

        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using SqliteCommand create = connection.CreateCommand();
        create.CommandText =
            "PRAGMA busy_timeout=30000; "
            + $"CREATE TABLE IF NOT EXISTS {_table} (id TEXT PRIMARY KEY NOT NULL, payload BLOB NOT NULL, created_at INTEGER NOT NULL, "
            + "expires_at INTEGER NOT NULL, state INTEGER NOT NULL, decided_by TEXT, rejection_reason TEXT); "
            + $"CREATE INDEX IF NOT EXISTS {_table}_pending ON {_table} (state, expires_at, created_at);";
        create.ExecuteNonQuery();
        CheckColumns(connection);
        Volatile.Write(ref _created, 1);
    }

    private void CheckColumns(SqliteConnection connection)
    {
        using SqliteCommand info = connection.CreateCommand();
        info.CommandText = $"SELECT group_concat(name, ', ') FROM pragma_table_info('{_table}')";
        string? columns = info.ExecuteScalar() as string;
        if (columns != Columns)
        {
            throw new InvalidDataException($"'{_path}' has a table '{_table}' that is not an approval store (its columns are: {columns}).");
        }
    }

    private List<ApprovalRequest> ReadAll(SqliteCommand command)
    {
        var requests = new List<ApprovalRequest>();
        using SqliteDataReader row = command.ExecuteReader();
        while (row.Read())
        {
            requests.Add(ApprovalPayload.Decode(
                row.GetString(0),
                row.GetFieldValue<byte[]>(1),
                new DateTimeOffset(row.GetInt64(2), TimeSpan.Zero),
                new DateTimeOffset(row.GetInt64(3), TimeSpan.Zero),
                (ApprovalState)row.GetInt32(4),
                row.IsDBNull(5) ? null : row.GetString(5),
                row.IsDBNull(6) ? null : row.GetString(6)));
        }

        return requests;
    }
}
