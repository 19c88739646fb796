using System;
using System.IO;

namespace SochDb;

/// <summary>
/// The database file is damaged: SQLite found pages that do not form a valid database (for example bytes overwritten
/// on disk). Raised by <see cref="Database.Open"/> when the damage shows while opening, and by any operation that
/// meets it later; the message and <see cref="Path"/> name the file.
/// </summary>
/// <remarks>
/// The store cannot repair the file. Restore it from a backup, or copy what is still readable into a new file with
/// SQLite's own tools (<c>sqlite3 damaged.db ".recover"</c>).
/// </remarks>
public sealed class DatabaseCorruptException : IOException
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>.</summary>
    /// <param name="path">The full path of the damaged file.</param>
    /// <param name="message">What was found, naming the file.</param>
    /// <param name="innerException">The error reported by SQLite, if any.</param>
    public DatabaseCorruptException(string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
    }

    /// <summary>The full path of the damaged database file.</summary>
    public string Path { get; }
}
