using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Text;

namespace SochDb.Policy;

/// <summary>
/// The SQL shared by ledgers over a SQL database (SQLite here, PostgreSQL and others alike): the columns of the audit
/// table, the <c>SELECT</c> of a query with named <c>@</c> parameters, and the mapping of a row to an
/// <see cref="AuditRecord"/>. A SQL ledger then only creates its table and runs these statements.
/// </summary>
/// <remarks>
/// Columns, in this order: <c>id</c> (integer, 1, 2, 3, ...), <c>ts</c> (UTC ticks, integer), <c>operation</c> and
/// <c>result</c> (names from <see cref="AuditNames"/>), <c>key</c> (bytes; the mask's bytes when masked),
/// <c>key_masked</c> (0 or 1), <c>rule</c>, <c>reason</c>, <c>agent_id</c>, <c>session_id</c>, <c>trace_id</c>,
/// <c>span_id</c> (text, nullable), <c>hash</c> (32 bytes).
/// </remarks>
internal static class AuditSqlQuery
{
    /// <summary>The columns of the audit table, in the order <see cref="ReadRecord"/> expects them.</summary>
    public const string Columns = "id, ts, operation, key, key_masked, result, rule, reason, agent_id, session_id, trace_id, span_id, hash";

    /// <summary>The <c>INSERT</c> of one record with parameters <c>@id</c> ... <c>@hash</c> (see <see cref="BindRecord"/>).</summary>
    public static string Insert(string table) =>
        $"INSERT INTO {Identifier(table)} ({Columns}) VALUES (@id, @ts, @operation, @key, @key_masked, @result, @rule, @reason, @agent_id, @session_id, @trace_id, @span_id, @hash)";

    /// <summary>The parameter values of <see cref="Insert"/> for <paramref name="record"/>, in column order (null as <see cref="DBNull"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    public static object[] BindRecord(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        AuditEntry e = record.Entry;
        return new object[]
        {
            record.Id, e.Timestamp.UtcTicks, AuditNames.Of(e.Operation), e.KeyBytes, e.IsKeyMasked ? 1L : 0L, AuditNames.Of(e.Result),
            Db(e.Rule), Db(e.Reason), Db(e.AgentId), Db(e.SessionId), Db(e.TraceId), Db(e.SpanId), record.Hash,
        };
    }

    /// <summary>The names of <see cref="Insert"/>'s parameters, in the order of <see cref="BindRecord"/>'s values.</summary>
    public static IReadOnlyList<string> InsertParameters { get; } =
        new[] { "@id", "@ts", "@operation", "@key", "@key_masked", "@result", "@rule", "@reason", "@agent_id", "@session_id", "@trace_id", "@span_id", "@hash" };

    /// <summary>
    /// The <c>SELECT</c> of one page of <paramref name="query"/> from <paramref name="table"/>: its filters, keyset
    /// condition on <c>id</c>, order and <c>LIMIT</c>; the parameter values are added to <paramref name="parameters"/>.
    /// </summary>
    /// <remarks>
    /// With <paramref name="tail"/> (a table of the same columns holding the newest entries, not yet in
    /// <paramref name="table"/>; see <see cref="SqliteAuditSink"/>), the page is read from both as one compound
    /// <c>SELECT ... UNION ALL SELECT ...</c> with the same filters in each arm, ordered and limited as a whole: one
    /// statement, so one committed state, and each id is in exactly one of the two tables.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="table"/> is not a plain identifier.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A field of <paramref name="query"/> is out of range.</exception>
    public static string Select(string table, AuditQuery query, IList<KeyValuePair<string, object>> parameters, string? tail = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(parameters);
        query.Validate();
        var conditions = new StringBuilder();
        string joiner = " WHERE ";
        void Where(string condition, string name, object value)
        {
            conditions.Append(joiner).Append(condition);
            joiner = " AND ";
            parameters.Add(new KeyValuePair<string, object>(name, value));
        }

        bool newestFirst = !query.OldestFirst;
        if (query.After is { } after)
        {
            Where(newestFirst ? "id < @after" : "id > @after", "@after", after);
        }

        if (query.AtLeast is { } atLeast)
        {
            Where("id >= @at_least", "@at_least", atLeast);
        }

        if (query.AgentId is { } agent)
        {
            Where("agent_id = @agent_id", "@agent_id", agent);
        }

        if (query.SessionId is { } session)
        {
            Where("session_id = @session_id", "@session_id", session);
        }

        if (query.Operation is { } operation && operation != PolicyOperation.All)
        {
            Where("operation = @operation", "@operation", AuditNames.Of(operation));
        }

        if (query.Result is { } result)
        {
            Where("result = @result", "@result", AuditNames.Of(result));
        }

        if (query.Rule is { } rule)
        {
            Where("rule = @rule", "@rule", rule);
        }

        if (query.From is { } from)
        {
            Where("ts >= @from", "@from", from.UtcTicks);
        }

        if (query.To is { } to)
        {
            Where("ts < @to", "@to", to.UtcTicks);
        }

        var sql = new StringBuilder("SELECT ").Append(Columns).Append(" FROM ").Append(Identifier(table)).Append(conditions);
        if (tail is not null)
        {
            // Named parameters may appear in both arms; SQLite merges the two id-ordered arms and stops at the limit.
            sql.Append(" UNION ALL SELECT ").Append(Columns).Append(" FROM ").Append(Identifier(tail)).Append(conditions);
        }

        sql.Append(newestFirst ? " ORDER BY id DESC" : " ORDER BY id ASC")
            .Append(" LIMIT ").Append(query.PageSize.ToString(CultureInfo.InvariantCulture));
        return sql.ToString();
    }

    /// <summary>The record in the current row of <paramref name="reader"/>, whose columns are <see cref="Columns"/> in order.</summary>
    /// <exception cref="System.IO.InvalidDataException">A column holds a value no record can have (the message names the row and column).</exception>
    public static AuditRecord ReadRecord(DbDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        long id = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
        try
        {
            var entry = new AuditEntry(
                id,
                new DateTimeOffset(Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture), TimeSpan.Zero),
                AuditNames.ParseOperation(reader.GetString(2)),
                reader.GetFieldValue<byte[]>(3),
                AuditNames.ParseResult(reader.GetString(5)),
                Text(reader, 8),
                Text(reader, 9),
                Text(reader, 6),
                Text(reader, 7),
                Text(reader, 10),
                Text(reader, 11),
                Convert.ToInt64(reader.GetValue(4), CultureInfo.InvariantCulture) != 0);
            return new AuditRecord(id, entry, reader.GetFieldValue<byte[]>(12));
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or ArgumentOutOfRangeException)
        {
            throw new System.IO.InvalidDataException($"Audit row #{id} cannot be read: {e.Message}", e);
        }
    }

    /// <summary><paramref name="name"/> if it is a plain SQL identifier (letters, digits, underscores; optionally one schema dot).</summary>
    /// <exception cref="ArgumentException">It is not.</exception>
    public static string Identifier(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        foreach (string part in name.Split('.'))
        {
            bool valid = part.Length > 0 && (char.IsAsciiLetter(part[0]) || part[0] == '_');
            foreach (char c in part)
            {
                valid &= char.IsAsciiLetterOrDigit(c) || c == '_';
            }

            if (!valid || name.Split('.').Length > 2)
            {
                throw new ArgumentException($"'{name}' is not a plain SQL table name (letters, digits and underscores, optionally schema.table).", nameof(name));
            }
        }

        return name;
    }

    private static object Db(string? text) => text is null ? DBNull.Value : text;

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
