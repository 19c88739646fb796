using System.Text;
using Microsoft.Data.Sqlite;

namespace SochDb.Policy.Tests.Storage;

/// <summary>
/// A damaged database file: random bytes written over it after the header. Damage the checks at open can see is
/// refused there; damage they cannot see surfaces at first use. Either way the caller gets
/// <see cref="InvalidDataException"/> naming the file, never a raw <see cref="SqliteException"/>, and nothing is
/// written to the file while opening it.
/// </summary>
public sealed class SqliteCorruptionTests : IDisposable
{
    private const int PageSize = 4096;
    private const int Entries = 3000;

    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void CorruptBytesAfterTheHeaderAreReportedAtFirstUseNamingTheFile()
    {
        string path = CreateDatabase("middle.db");
        DamageMiddlePages(path);

        using Database db = Database.Open(path);
        InvalidDataException scan = Assert.Throws<InvalidDataException>(() => db.Scan("").Count());
        AssertNamesTheFile(scan, path);

        // Reads of single keys meet the damage too, each as the same documented exception.
        int damaged = 0;
        for (int i = 0; i < Entries; i++)
        {
            try
            {
                db.Get(Key(i));
            }
            catch (InvalidDataException error)
            {
                AssertNamesTheFile(error, path);
                damaged++;
            }
        }

        Assert.InRange(damaged, 1, Entries - 1);
    }

    [Fact]
    public async Task CorruptBytesAfterTheHeaderAreReportedByScanAsyncNamingTheFile()
    {
        string path = CreateDatabase("middle-async.db");
        DamageMiddlePages(path);
        using Database db = Database.Open(path);
        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (KeyValuePair<byte[], byte[]> entry in db.ScanAsync(ReadOnlyMemory<byte>.Empty))
            {
            }
        });
        AssertNamesTheFile(error, path);
    }

    [Fact]
    public void CorruptBytesAfterTheHeaderAreRefusedAtOpenWhenVerifyOnOpenIsSet()
    {
        string path = CreateDatabase("verified.db");
        DamageMiddlePages(path);
        byte[] damaged = File.ReadAllBytes(path);

        InvalidDataException error = Assert.Throws<InvalidDataException>(
            () => Database.Open(path, new DatabaseOptions { VerifyOnOpen = true }));
        AssertNamesTheFile(error, path);
        Assert.Contains("quick_check", error.Message);
        Assert.Equal(damaged, File.ReadAllBytes(path));
        Assert.Equal(["verified.db"], _directory.FileNames());
    }

    [Fact]
    public void CorruptBytesRightAfterTheHeaderAreRefusedAtOpen()
    {
        // Page 1 holds the schema after its 100-byte file header: without it nothing can be read.
        string path = CreateDatabase("schema.db");
        Overwrite(path, offset: 100, length: PageSize - 100, seed: 1);
        byte[] damaged = File.ReadAllBytes(path);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => Database.Open(path));
        AssertNamesTheFile(error, path);
        Assert.Equal(damaged, File.ReadAllBytes(path));
        Assert.Equal(["schema.db"], _directory.FileNames());
    }

    [Fact]
    public void CorruptRootPageOfTheTableIsRefusedAtOpen()
    {
        // In a file the store created, page 2 is the root of the table and page 3 the root of its key index: opening
        // reads the first and last entries through both, so damage there shows without reading the whole file.
        foreach (int page in new[] { 2, 3 })
        {
            string path = CreateDatabase($"root{page}.db");
            Overwrite(path, offset: (page - 1) * PageSize, length: PageSize, seed: page);
            byte[] damaged = File.ReadAllBytes(path);

            InvalidDataException error = Assert.Throws<InvalidDataException>(() => Database.Open(path));
            AssertNamesTheFile(error, path);
            Assert.Equal(damaged, File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void SoundFileOpensWithVerifyOnOpen()
    {
        string path = CreateDatabase("sound.db");
        using Database db = Database.Open(path, new DatabaseOptions { VerifyOnOpen = true });
        Assert.Equal(Entries, db.Scan("").Count());
        db.Put("after", "check");
    }

    [Fact]
    public void NoPublicMemberLetsASqliteExceptionOut()
    {
        string path = CreateDatabase("all.db");
        DamageMiddlePages(path);
        using Database db = Database.Open(path);
        var batch = new WriteBatch();
        for (int i = 0; i < Entries; i += 7)
        {
            batch.Put(Key(i), new byte[300]);
        }

        var actions = new List<Action>
        {
            () => db.Scan("").Count(),
            () => db.Scan("k/").Count(),
            () => db.Write(batch),
        };
        for (int i = 0; i < Entries; i += 50)
        {
            byte[] key = Key(i);
            actions.Add(() => db.Get(key));
            actions.Add(() => db.Put(key, new byte[300]));
            actions.Add(() => db.Delete(key));
        }

        int failures = 0;
        foreach (Action action in actions)
        {
            try
            {
                action();
            }
            catch (InvalidDataException error)
            {
                AssertNamesTheFile(error, path);
                failures++;
            }
        }

        Assert.True(failures >= 3, $"only {failures} operations met the damage");
    }

    private string CreateDatabase(string name)
    {
        string path = _directory.File(name);
        using Database db = Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        var batch = new WriteBatch();
        for (int i = 0; i < Entries; i++)
        {
            batch.Put(Key(i), Encoding.UTF8.GetBytes(new string('v', 200)));
        }

        db.Write(batch);
        return path;
    }

    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"k/{i:D6}");

    /// <summary>Random bytes over eight pages in the middle of the file: leaf pages, away from the roots and the edges.</summary>
    private static void DamageMiddlePages(string path)
    {
        long pages = new FileInfo(path).Length / PageSize;
        Assert.True(pages > 100, $"the test database has only {pages} pages");
        Overwrite(path, offset: pages / 2 * PageSize, length: 8 * PageSize, seed: 42);
    }

    private static void Overwrite(string path, long offset, int length, int seed)
    {
        byte[] noise = new byte[length];
        new Random(seed).NextBytes(noise);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = offset;
        file.Write(noise);
    }

    private static void AssertNamesTheFile(InvalidDataException error, string path)
    {
        Assert.Equal(typeof(InvalidDataException), error.GetType());
        Assert.Contains(path, error.Message);
        Assert.Contains("corrupt", error.Message);
        Assert.IsNotType<SqliteException>(error);
    }
}
