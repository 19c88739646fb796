namespace SochDb.Policy.PostgreSql;

/// <summary>
/// The table and the SQL of every statement. Keys live in a <c>bytea</c> column, compared by PostgreSQL like
/// <c>memcmp</c> (the ordinal order of every store). A B-tree entry holds at most about 2,700 bytes, less than the
/// longest key (4,096), so the unique index is not on the key itself but on its first 1,024 bytes plus, for longer keys
/// only, the SHA-256 of the whole key. Ordering by that prefix and then by the key is the key order (keys that differ
/// within the prefix are ordered by it; the rest share it), so a scan walks the index and sorts only ties.
/// </summary>
internal sealed class PostgresSchema
{
    public const int IndexedPrefix = 1024;

    private const string KeyPrefix = "substr(k, 1, 1024)";
    private const string KeyTail = "(CASE WHEN octet_length(k) > 1024 THEN sha256(k) ELSE ''::bytea END)";
    private const string ParamPrefix = "substr($1, 1, 1024)";
    private const string ParamTail = "(CASE WHEN octet_length($1) > 1024 THEN sha256($1) ELSE ''::bytea END)";
    private const string MatchesParam = $"{KeyPrefix} = {ParamPrefix} AND {KeyTail} = {ParamTail} AND k = $1";

    public PostgresSchema(string tableName)
    {
        TableName = tableName;
        string table = '"' + tableName + '"';
        string index = '"' + tableName + "_key\"";
        Create =
            $"CREATE TABLE IF NOT EXISTS {table} (k bytea NOT NULL, v bytea NOT NULL);" +
            $"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} (({KeyPrefix}), {KeyTail});";
        Put = $"INSERT INTO {table} (k, v) VALUES ($1, $2) ON CONFLICT (({KeyPrefix}), {KeyTail}) DO UPDATE SET v = excluded.v";
        Get = $"SELECT v FROM {table} WHERE {MatchesParam}";
        Delete = $"DELETE FROM {table} WHERE {MatchesParam}";

        // Scan pages: $1 the lower bound (inclusive on the first page, exclusive after), $2 the upper bound (exclusive,
        // absent when the prefix has none), last parameter the page size. The prefix conditions let the index do the work.
        const string Order = $" ORDER BY {KeyPrefix}, k LIMIT ";
        string from = $"SELECT k, v FROM {table} WHERE {KeyPrefix} >= substr($1, 1, 1024)";
        string below = $" AND {KeyPrefix} <= substr($2, 1, 1024) AND k < $2";
        ScanFirstBounded = from + " AND k >= $1" + below + Order + "$3";
        ScanNextBounded = from + " AND k > $1" + below + Order + "$3";
        ScanFirstOpen = from + " AND k >= $1" + Order + "$2";
        ScanNextOpen = from + " AND k > $1" + Order + "$2";
    }

    public string TableName { get; }

    public string Create { get; }

    public string Put { get; }

    public string Get { get; }

    public string Delete { get; }

    public string ScanFirstBounded { get; }

    public string ScanNextBounded { get; }

    public string ScanFirstOpen { get; }

    public string ScanNextOpen { get; }

    /// <summary>The columns of an existing table of this name: (name, type, not null), in order.</summary>
    public const string Columns =
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a " +
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

    /// <summary>Serializes concurrent creation by several instances starting at once.</summary>
    public const string CreationLock = "SELECT pg_advisory_xact_lock(7301897123)";

    /// <summary>The smallest key above every key that starts with <paramref name="prefix"/>, or null when there is none.</summary>
    public static byte[]? UpperBound(System.ReadOnlySpan<byte> prefix)
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
}
