using System.Text;
using Microsoft.Data.Sqlite;

namespace SochDb.Policy.Tests.Storage;

/// <summary>
/// Files made before the rowid layout hold <c>sochdb_entries (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID</c>. They
/// still open, and the whole store contract holds on them; they are not rewritten.
/// </summary>
public sealed class SqliteLegacyLayoutContractTests : KeyValueStoreContractTests
{
    private readonly TestDirectory _directory = new();
    private int _files;

    protected override IKeyValueStore CreateStore()
    {
        string path = _directory.File($"legacy{Interlocked.Increment(ref _files)}.db");
        SqliteLegacyLayout.Create(path);
        return Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
    }

    protected override void FailWritesOf(IKeyValueStore store, byte[] key) => SqliteFaults.FailWritesOf((SqliteDatabase)store, key);

    protected override void AssertStoreFailure(Exception error) => SqliteFaults.AssertArrangedFailure(error, _directory.Path);

    public override void Dispose()
    {
        base.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void LegacyFileKeepsItsDataAndItsLayout()
    {
        string path = _directory.File("kept.db");
        SqliteLegacyLayout.Create(path, ("users/alice", "1"), ("users/bob", "2"));
        using (Database db = Database.Open(path))
        {
            Assert.Equal(["users/alice", "users/bob"], db.Scan("users/").Select(e => Encoding.UTF8.GetString(e.Key)).ToArray());
            db.Put("users/carol", "3");
            db.Delete("users/alice");
        }

        Assert.Contains("WITHOUT ROWID", SqliteLegacyLayout.TableSql(path));
        using (Database db = Database.Open(path))
        {
            Assert.Equal(["users/bob", "users/carol"], db.Scan("users/").Select(e => Encoding.UTF8.GetString(e.Key)).ToArray());
        }
    }

    [Fact]
    public void NewFileGetsTheRowidLayout()
    {
        string path = _directory.File("new.db");
        using (Database db = Database.Open(path))
        {
            db.Put("k", "v");
        }

        string sql = SqliteLegacyLayout.TableSql(path);
        Assert.DoesNotContain("WITHOUT ROWID", sql);
        Assert.Contains("id INTEGER PRIMARY KEY", sql);
        Assert.Contains("k BLOB NOT NULL UNIQUE", sql);
    }

    [Fact]
    public void RowidTableWithoutAUniqueKeyIndexIsRefusedAndLeftUnchanged()
    {
        string path = _directory.File("nounique.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE sochdb_entries (id INTEGER PRIMARY KEY, k BLOB NOT NULL, v BLOB NOT NULL)";
            command.ExecuteNonQuery();
        }

        byte[] before = File.ReadAllBytes(path);
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => Database.Open(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("unique index", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }
}

/// <summary>Writes files in the earlier layout, as earlier versions of the store did.</summary>
internal static class SqliteLegacyLayout
{
    public static void Create(string path, params (string Key, string Value)[] entries)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText =
            "PRAGMA journal_mode=WAL; CREATE TABLE sochdb_entries (k BLOB NOT NULL PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID";
        command.ExecuteNonQuery();
        command.CommandText = "INSERT INTO sochdb_entries (k, v) VALUES ($k, $v)";
        SqliteParameter key = command.Parameters.Add("$k", SqliteType.Blob);
        SqliteParameter value = command.Parameters.Add("$v", SqliteType.Blob);
        foreach ((string k, string v) in entries)
        {
            key.Value = Encoding.UTF8.GetBytes(k);
            value.Value = Encoding.UTF8.GetBytes(v);
            command.ExecuteNonQuery();
        }
    }

    public static string TableSql(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT sql FROM sqlite_master WHERE name = 'sochdb_entries'";
        return (string)command.ExecuteScalar()!;
    }
}
