using System;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace SochDb.Policy.Audit;

/// <summary>
/// The SQLite sink's prepared <c>INSERT</c>, bound and stepped through SQLite's own interface on the writer connection.
/// </summary>
/// <remarks>
/// The sink appends every entry an engine produces, so this is its hot loop. Going through
/// <see cref="SqliteCommand"/> costs about 1.5 KB of garbage and several microseconds per row (boxed parameter values,
/// a data reader per execution, strings encoded afresh); binding integers and UTF-8 spans directly allocates nothing.
/// Errors surface as <see cref="SqliteException"/>, exactly as the command would report them. Used under the sink's
/// write lock only.
/// </remarks>
internal sealed class AuditInsertStatement : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private readonly int[] _index;
    private byte[] _text = new byte[256];

    public AuditInsertStatement(SqliteConnection connection, string sql)
    {
        _connection = connection;
        sqlite3 db = connection.Handle ?? throw new InvalidOperationException("The audit log's connection is not open.");
        int rc = raw.sqlite3_prepare_v2(db, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, db);
        _index = new int[AuditSqlQuery.InsertParameters.Count];
        for (int i = 0; i < _index.Length; i++)
        {
            _index[i] = raw.sqlite3_bind_parameter_index(_statement, AuditSqlQuery.InsertParameters[i]);
            if (_index[i] <= 0)
            {
                _statement.Dispose();
                throw new InvalidOperationException($"The audit INSERT has no parameter {AuditSqlQuery.InsertParameters[i]}.");
            }
        }
    }

    /// <summary>Inserts one record (inside the caller's transaction).</summary>
    /// <exception cref="SqliteException">SQLite refused the row (disk full, locked, corrupt, a duplicate id).</exception>
    public void Execute(AuditRecord record)
    {
        AuditEntry entry = record.Entry;
        sqlite3 db = _connection.Handle!;
        try
        {
            // Column order of AuditSqlQuery.InsertParameters: id, ts, operation, key, key_masked, result, rule, reason,
            // agent_id, session_id, trace_id, span_id, hash. Text goes into one scratch buffer, one field at a time:
            // SQLite copies each bound value (SQLITE_TRANSIENT), so the buffer is free again after each bind.
            Check(db, raw.sqlite3_bind_int64(_statement, _index[0], record.Id));
            Check(db, raw.sqlite3_bind_int64(_statement, _index[1], entry.Timestamp.UtcTicks));
            BindText(db, 2, AuditNames.Of(entry.Operation));
            Check(db, raw.sqlite3_bind_blob(_statement, _index[3], entry.KeyBytes));
            Check(db, raw.sqlite3_bind_int64(_statement, _index[4], entry.IsKeyMasked ? 1 : 0));
            BindText(db, 5, AuditNames.Of(entry.Result));
            BindText(db, 6, entry.Rule);
            BindText(db, 7, entry.Reason);
            BindText(db, 8, entry.AgentId);
            BindText(db, 9, entry.SessionId);
            BindText(db, 10, entry.TraceId);
            BindText(db, 11, entry.SpanId);
            Check(db, raw.sqlite3_bind_blob(_statement, _index[12], record.Hash));
            int rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    private void BindText(sqlite3 db, int field, string? text)
    {
        if (text is null)
        {
            Check(db, raw.sqlite3_bind_null(_statement, _index[field]));
            return;
        }

        int most = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (most > _text.Length)
        {
            _text = new byte[Math.Max(most, _text.Length * 2)];
        }

        int length = Encoding.UTF8.GetBytes(text, _text);
        Check(db, raw.sqlite3_bind_text(_statement, _index[field], _text.AsSpan(0, length)));
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }
}
