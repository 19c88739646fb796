using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Data.Sqlite;

namespace SochDb;

/// <summary>The store's one table: how it is created, and which existing shapes are accepted.</summary>
/// <remarks>
/// <para>
/// A file created now holds a rowid table with a unique index on the key:
/// <c>sochdb_entries (id INTEGER PRIMARY KEY, k BLOB NOT NULL UNIQUE, v BLOB NOT NULL)</c>. A table b-tree keeps a row
/// of up to a page (4 KiB) on its leaf page and spills larger ones into overflow pages that are filled to the brim.
/// The earlier layout, <c>(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID</c>, is an index b-tree, which keeps at most
/// about a quarter of a page per entry in place and moved the rest of a 1 KiB entry into an overflow page of its own:
/// files were 4.5 times the payload. Measured sizes per value size are in docs/storage.md.
/// </para>
/// <para>
/// Files of the earlier layout stay readable and writable as they are (every statement the store runs works on both
/// shapes); they are not rewritten, since that would copy the whole file while opening it.
/// </para>
/// </remarks>
internal static class SqliteSchema
{
    public const string TableName = "sochdb_entries";

    private const string CurrentShape = "id INTEGER PRIMARY KEY, k BLOB, v BLOB";
    private const string WithoutRowidShape = "k BLOB PRIMARY KEY, v BLOB";

    /// <summary>
    /// Reads which layout the file holds, without writing anything; refuses a table of the store's name with any other
    /// shape.
    /// </summary>
    public static SqliteLayout Check(SqliteConnection connection, string fullPath)
    {
        using SqliteCommand command = connection.CreateCommand();
        string? shape = ReadShape(command);
        SqliteLayout layout = shape switch
        {
            null => SqliteLayout.Missing,
            WithoutRowidShape => SqliteLayout.WithoutRowid,
            CurrentShape when HasUniqueKeyIndex(command) => SqliteLayout.Current,
            _ => throw new InvalidDataException(
                $"'{fullPath}' has a table '{TableName}' that is not a SochDB store (its columns are: {shape}" +
                (shape == CurrentShape ? ", without a unique index on k" : "") + "); the file was left unchanged."),
        };
        return layout;
    }

    /// <summary>Creates the table in the current layout.</summary>
    public static void Create(SqliteConnection connection)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"CREATE TABLE IF NOT EXISTS {TableName} (id INTEGER PRIMARY KEY, k BLOB NOT NULL UNIQUE, v BLOB NOT NULL)";
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Reads the first and last entry of the table in key order (and in row order): touches the root and the edge
    /// pages of each b-tree, a cost that grows with the depth of the tree only, so damage there shows while opening.
    /// </summary>
    public static void ReadEdges(SqliteConnection connection, SqliteLayout layout)
    {
        if (layout == SqliteLayout.Missing)
        {
            return;
        }

        using SqliteCommand command = connection.CreateCommand();
        string rowOrder = layout == SqliteLayout.Current ? "id" : "k";
        foreach (string order in new[] { "k", "k DESC", rowOrder, rowOrder + " DESC" })
        {
            command.CommandText = $"SELECT k, length(v) FROM {TableName} ORDER BY {order} LIMIT 1";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
            }
        }
    }

    /// <summary>Runs SQLite's <c>quick_check</c> over the whole file; returns its first findings, or null when the file is sound.</summary>
    public static string? QuickCheck(SqliteConnection connection)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check(5)";
        var findings = new List<string>();
        using (SqliteDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                findings.Add(reader.GetString(0));
            }
        }

        return findings is ["ok"] ? null : string.Join("; ", findings);
    }

    /// <summary>The columns of the table as "name TYPE[ PRIMARY KEY]", comma separated; null when there is no such table.</summary>
    private static string? ReadShape(SqliteCommand command)
    {
        command.CommandText = $"SELECT name, upper(type), pk FROM pragma_table_info('{TableName}') ORDER BY cid";
        var columns = new List<string>();
        using (SqliteDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                columns.Add($"{reader.GetString(0)} {reader.GetString(1)}{(reader.GetInt64(2) != 0 ? " PRIMARY KEY" : "")}");
            }
        }

        return columns.Count == 0 ? null : string.Join(", ", columns);
    }

    private static bool HasUniqueKeyIndex(SqliteCommand command)
    {
        // ON CONFLICT (k) needs a unique index on exactly the key column.
        command.CommandText =
            $"SELECT count(*) FROM pragma_index_list('{TableName}') AS l " +
            "WHERE l.\"unique\" = 1 AND (SELECT group_concat(name) FROM pragma_index_info(l.name)) = 'k'";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }
}

/// <summary>Which layout of the store's table a file holds.</summary>
internal enum SqliteLayout
{
    /// <summary>No table yet: a new or foreign database.</summary>
    Missing,

    /// <summary>The rowid table with a unique index on the key.</summary>
    Current,

    /// <summary>The earlier <c>WITHOUT ROWID</c> table, still read and written as it is.</summary>
    WithoutRowid,
}
