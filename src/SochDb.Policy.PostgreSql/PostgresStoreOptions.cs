using System;

namespace SochDb.Policy.PostgreSql;

/// <summary>Options of <see cref="PostgresStore.Open"/>.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>The longest table name PostgreSQL keeps (longer identifiers are truncated, so they are refused here).</summary>
    public const int MaxTableNameLength = 63;

    /// <summary>
    /// The table holding the entries, in the connection's current schema (set <c>Search Path</c> in the connection
    /// string for another); created with its index when missing. Letters, digits and underscores, not starting with a
    /// digit, at most <see cref="MaxTableNameLength"/> characters. Default <c>sochdb_entries</c>.
    /// </summary>
    public string TableName { get; init; } = "sochdb_entries";

    /// <summary>
    /// How many entries a scan reads per statement; default 128. A scan holds at most one page in memory, so memory
    /// stays bounded by this many entries whatever the size of the range.
    /// </summary>
    public int ScanPageSize { get; init; } = 128;

    internal void Validate()
    {
        if (!IsPlainIdentifier(TableName))
        {
            throw new ArgumentException(
                $"The table name '{TableName}' is not usable: use letters, digits and underscores, not starting with a digit, at most {MaxTableNameLength} characters.",
                "options");
        }

        if (ScanPageSize is < 1 or > 100_000)
        {
            throw new ArgumentOutOfRangeException("options", ScanPageSize, "ScanPageSize must be between 1 and 100,000 entries.");
        }
    }

    private static bool IsPlainIdentifier(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxTableNameLength || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
