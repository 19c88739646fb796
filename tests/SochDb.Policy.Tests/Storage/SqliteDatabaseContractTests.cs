using System.Text;

namespace SochDb.Policy.Tests.Storage;

/// <summary>The store contract against the SQLite file store, plus what only a durable store can show.</summary>
public sealed class SqliteDatabaseContractTests : KeyValueStoreContractTests
{
    private readonly TestDirectory _directory = new();
    private int _files;

    protected override IKeyValueStore CreateStore() =>
        Database.Open(_directory.File($"store{Interlocked.Increment(ref _files)}.db"), new DatabaseOptions { Durability = Durability.Normal });

    protected override void FailWritesOf(IKeyValueStore store, byte[] key) => SqliteFaults.FailWritesOf((SqliteDatabase)store, key);

    protected override void AssertStoreFailure(Exception error) => SqliteFaults.AssertArrangedFailure(error, _directory.Path);

    public override void Dispose()
    {
        base.Dispose();
        _directory.Dispose();
    }

    [Theory]
    [InlineData(Durability.Full, 2)]
    [InlineData(Durability.Normal, 1)]
    public void EveryConnectionRunsWithTheChosenSynchronousLevel(Durability durability, long expected)
    {
        // synchronous is per connection, not stored in the file: FULL (2) is an fsync per commit, NORMAL (1) is not.
        using var db = (SqliteDatabase)Database.Open(_directory.File("sync.db"), new DatabaseOptions { Durability = durability });
        db.Put("k", "v");
        Assert.Equal((expected, expected), db.ReadPragma("synchronous"));
    }

    [Fact]
    public void DefaultOptionsAreFullDurability()
    {
        using var db = (SqliteDatabase)Database.Open(_directory.File("default.db"));
        Assert.Equal((2L, 2L), db.ReadPragma("synchronous"));
    }

    [Theory]
    [InlineData(Durability.Full)]
    [InlineData(Durability.Normal)]
    public void DataSurvivesDisposeAndReopen(Durability durability)
    {
        string path = _directory.File("persist.db");
        var options = new DatabaseOptions { Durability = durability };
        using (Database db = Database.Open(path, options))
        {
            db.Put("a", "1");
            db.Put(new byte[] { 0xFF, 0x80 }, new byte[] { 0 });
            db.Put("deleted", "x");
            db.Write(new WriteBatch().Put("b", "2").Delete("deleted"));
        }

        // A cleanly closed database is one file: the WAL was checkpointed and removed.
        Assert.Equal(["persist.db"], _directory.FileNames());

        using (Database db = Database.Open(path, options))
        {
            Assert.Equal("1", Encoding.UTF8.GetString(db.Get("a")!));
            Assert.Equal("2", Encoding.UTF8.GetString(db.Get("b")!));
            Assert.Equal(new byte[] { 0 }, db.Get(new byte[] { 0xFF, 0x80 }));
            Assert.Null(db.Get("deleted"));
            Assert.Equal(3, db.Scan("").Count());
            db.Put("c", "3");
        }

        using (Database db = Database.Open(path))
        {
            Assert.Equal(4, db.Scan("").Count());
        }
    }

    [Fact]
    public void AbandonedScansHoldNoConnectionSoDisposeLeavesOneClosedFile()
    {
        string path = _directory.File("abandoned.db");
        Database db = Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        var batch = new WriteBatch();
        for (int i = 0; i < 2000; i++)
        {
            batch.Put($"s/{i:D5}", "v");
        }

        db.Write(batch);
        var abandoned = new List<IEnumerator<KeyValuePair<byte[], byte[]>>>();
        for (int i = 0; i < 20; i++)
        {
            IEnumerator<KeyValuePair<byte[], byte[]>> enumerator = db.Scan("s/").GetEnumerator();
            Assert.True(enumerator.MoveNext());
            abandoned.Add(enumerator);
        }

        // A connection still open (for example one pinned by a scan) would keep -wal and -shm beside the file.
        db.Dispose();
        Assert.Equal(["abandoned.db"], _directory.FileNames());
        GC.KeepAlive(abandoned);
    }

    [Fact]
    public void TwoInstancesOnOneFileSeeEachOthersWrites()
    {
        string path = _directory.File("shared.db");
        using Database first = Database.Open(path);
        using Database second = Database.Open(path);
        first.Put("from-first", "1");
        second.Put("from-second", "2");
        Assert.NotNull(second.Get("from-first"));
        Assert.NotNull(first.Get("from-second"));
    }

    [Fact]
    public void FileIsInWalMode()
    {
        string path = _directory.File("wal.db");
        using (Database db = Database.Open(path))
        {
            db.Put("k", "v");
        }

        // Byte 18 and 19 of the header are the read/write format versions: 2 means WAL.
        byte[] header = File.ReadAllBytes(path)[..20];
        Assert.Equal("SQLite format 3\0", Encoding.ASCII.GetString(header, 0, 16));
        Assert.Equal(2, header[18]);
        Assert.Equal(2, header[19]);
    }

    [Fact]
    public void DatabaseWithoutOurTableGetsIt()
    {
        string path = _directory.File("foreign.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE other (x INTEGER); INSERT INTO other VALUES (42);";
            command.ExecuteNonQuery();
        }

        using (Database db = Database.Open(path))
        {
            Assert.Empty(db.Scan(""));
            db.Put("k", "v");
            Assert.Equal("v", Encoding.UTF8.GetString(db.Get("k")!));
        }

        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT x FROM other";
            Assert.Equal(42L, command.ExecuteScalar());
        }
    }

    [Fact]
    public void EmptyExistingFileBecomesADatabase()
    {
        string path = _directory.File("empty.db");
        File.WriteAllBytes(path, []);
        using Database db = Database.Open(path);
        db.Put("k", "v");
        Assert.NotNull(db.Get("k"));
    }

    [Fact]
    public void RelativePathIsResolvedAgainstTheCurrentDirectory()
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, _directory.File("relative.db"));
        using (Database db = Database.Open(relative))
        {
            db.Put("k", "v");
        }

        Assert.True(File.Exists(_directory.File("relative.db")));
    }

    [Fact]
    public void UpperBoundDropsTrailingFFAndIncrementsTheByteBefore()
    {
        Assert.Equal(new byte[] { 0x62 }, SqliteDatabase.UpperBound([0x61]));
        Assert.Equal(new byte[] { 0x62 }, SqliteDatabase.UpperBound([0x61, 0xFF]));
        Assert.Equal(new byte[] { 0x62 }, SqliteDatabase.UpperBound([0x61, 0xFF, 0xFF]));
        Assert.Equal(new byte[] { 0x61, 0x01 }, SqliteDatabase.UpperBound([0x61, 0x00]));
        Assert.Equal(new byte[] { 0xFF }, SqliteDatabase.UpperBound([0xFE, 0xFF]));
        Assert.Null(SqliteDatabase.UpperBound([0xFF, 0xFF]));
        Assert.Null(SqliteDatabase.UpperBound([]));
    }
}
