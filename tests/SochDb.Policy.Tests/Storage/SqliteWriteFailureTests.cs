using System.Text;
using Microsoft.Data.Sqlite;

namespace SochDb.Policy.Tests.Storage;

/// <summary>
/// Writes that SQLite refuses (a full disk, a read-only file) surface as <see cref="IOException"/> naming the file and
/// saying why, with SQLite's error inside; a batch that fails part-way leaves nothing behind, and the store keeps
/// working once the cause is gone.
/// </summary>
public sealed class SqliteWriteFailureTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void FullDiskFailsTheWriteWithIOExceptionAndTheBatchRollsBack()
    {
        string path = _directory.File("full.db");
        using var db = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        db.Put("before", "1");
        string[] before = Keys(db);

        // The same error SQLite reports for a full disk: the file may not grow past its current size.
        long pages = db.RunOnWriter("PRAGMA page_count");
        Assert.Equal(pages, db.RunOnWriter($"PRAGMA max_page_count = {pages}"));

        var batch = new WriteBatch();
        for (int i = 0; i < 200; i++)
        {
            batch.Put(Encoding.UTF8.GetBytes($"fill/{i:D4}"), new byte[1000]);
        }

        IOException error = Assert.Throws<IOException>(() => db.Write(batch));
        Assert.Contains(path, error.Message);
        Assert.Contains("full", error.Message);
        Assert.Equal(13, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode);
        Assert.Equal(before, Keys(db));

        IOException single = Assert.Throws<IOException>(() => db.Put("big", new byte[100_000]));
        Assert.Contains(path, single.Message);
        Assert.Equal(before, Keys(db));

        // Room again: the store writes as before.
        db.RunOnWriter("PRAGMA max_page_count = 1073741823");
        db.Write(batch);
        Assert.Equal(201, db.Scan("").Count());
    }

    [Fact]
    public void ReadOnlyDatabaseFailsEveryWriteWithIOException()
    {
        string path = _directory.File("readonly.db");
        using var db = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        db.Put("kept", "1");

        // What SQLite reports for a file it may not write.
        db.RunOnWriter("PRAGMA query_only = ON");
        foreach (Action write in new Action[]
        {
            () => db.Put("k", "v"),
            () => db.Delete("kept"),
            () => db.Write(new WriteBatch().Put("a", "1").Delete("kept")),
        })
        {
            IOException error = Assert.Throws<IOException>(write);
            Assert.Contains(path, error.Message);
            Assert.Contains("read-only", error.Message);
            Assert.Equal(8, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode);
        }

        Assert.Equal(["kept"], Keys(db));
        Assert.Equal("1", Encoding.UTF8.GetString(db.Get("kept")!));

        db.RunOnWriter("PRAGMA query_only = OFF");
        db.Put("k", "v");
        Assert.Equal(["k", "kept"], Keys(db));
    }

    [Fact]
    public async Task WriteAsyncFailureIsTheSameIOException()
    {
        string path = _directory.File("async.db");
        using var db = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        db.RunOnWriter("PRAGMA query_only = ON");
        IOException error = await Assert.ThrowsAsync<IOException>(async () => await db.WriteAsync(new WriteBatch().Put("a", "1")));
        Assert.Contains(path, error.Message);
        Assert.Empty(db.Scan(""));
    }

    private static string[] Keys(Database db) => db.Scan("").Select(e => Encoding.UTF8.GetString(e.Key)).ToArray();
}
