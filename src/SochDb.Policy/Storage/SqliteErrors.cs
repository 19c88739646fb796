using System;
using System.IO;
using Microsoft.Data.Sqlite;

namespace SochDb;

/// <summary>
/// Turns SQLite's errors into the store's documented exceptions, each naming the file, so no
/// <see cref="SqliteException"/> leaves a public member.
/// </summary>
internal static class SqliteErrors
{
    // Primary result codes (https://www.sqlite.org/rescode.html); extended codes carry them in the low byte.
    private const int Busy = 5;
    private const int Locked = 6;
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int NotADatabase = 26;

    /// <summary>Whether <paramref name="error"/> says the file is damaged or not a database.</summary>
    public static bool IsCorruption(SqliteException error) => (error.SqliteErrorCode & 0xFF) is Corrupt or NotADatabase;

    /// <summary>
    /// The exception to throw for <paramref name="error"/>, met while doing <paramref name="what"/> (for example
    /// "write to", "read from") the database at <paramref name="path"/>.
    /// </summary>
    public static Exception Translate(SqliteException error, string path, string what)
    {
        int code = error.SqliteErrorCode & 0xFF;
        if (code is Corrupt or NotADatabase)
        {
            return new InvalidDataException(
                $"The database '{path}' is corrupt: SQLite found damaged pages while trying to {what} it ({error.Message}). " +
                "Restore the file from a backup, or recover what is readable into a new file.",
                error);
        }

        string reason = code switch
        {
            Full => "the disk (or the database's size limit) is full",
            ReadOnly => "the file or its directory is read-only",
            Busy or Locked => "another connection kept the database locked for longer than the 30 s busy timeout",
            IoError => "the operating system reported an I/O error",
            CantOpen => "the file could not be opened",
            _ => "SQLite reported an error",
        };
        return new IOException($"Cannot {what} the database '{path}': {reason} ({error.Message}).", error);
    }
}
