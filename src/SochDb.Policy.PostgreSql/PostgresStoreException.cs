using System;
using System.IO;

namespace SochDb.Policy.PostgreSql;

/// <summary>
/// A PostgreSQL store operation failed: the server refused it, or the connection failed or timed out. The message says
/// which operation, on which table, and whether anything may have been written; the inner exception is Npgsql's.
/// </summary>
public sealed class PostgresStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    public PostgresStoreException(string message, Exception innerException, bool outcomeUnknown = false)
        : base(message, innerException)
    {
        OutcomeUnknown = outcomeUnknown;
    }

    /// <summary>
    /// True only when the connection failed while a commit was in flight, so the write may or may not have been
    /// applied (read the keys to find out). False means nothing of a failed write was applied.
    /// </summary>
    public bool OutcomeUnknown { get; }
}
