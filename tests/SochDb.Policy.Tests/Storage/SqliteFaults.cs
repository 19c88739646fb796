using Microsoft.Data.Sqlite;

namespace SochDb.Policy.Tests.Storage;

/// <summary>Makes writes of one key fail inside a SQLite store, and checks the exception the store then raises.</summary>
internal static class SqliteFaults
{
    public const string Message = "failure arranged by the test";

    /// <summary>
    /// A trigger in the file, created by a connection of its own, that aborts any insert of <paramref name="key"/>:
    /// the store's writer meets it like any other schema change.
    /// </summary>
    public static void FailWritesOf(SqliteDatabase store, byte[] key)
    {
        using var connection = new SqliteConnection($"Data Source={store.Path};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        string hex = Convert.ToHexString(key);
        command.CommandText =
            $"CREATE TRIGGER IF NOT EXISTS fail_{hex} BEFORE INSERT ON sochdb_entries WHEN NEW.k = x'{hex}' " +
            $"BEGIN SELECT RAISE(ABORT, '{Message}'); END";
        command.ExecuteNonQuery();
    }

    /// <summary>Never a raw SqliteException: the documented IOException, naming the file, with SQLite's error inside.</summary>
    public static void AssertArrangedFailure(Exception error, string directory)
    {
        IOException io = Assert.IsType<IOException>(error);
        Assert.Contains(directory, io.Message);
        Assert.Contains(Message, io.Message);
        Assert.IsType<SqliteException>(io.InnerException);
    }
}
