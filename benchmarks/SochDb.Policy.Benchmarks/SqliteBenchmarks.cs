using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using SochDb.Policy.Benchmarks.RuleSets;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// Database.Open (durability Normal) with and without the policy layer, against raw Microsoft.Data.Sqlite
/// with one prepared command: the policy layer should be invisible next to the storage cost.
/// </summary>
[MemoryDiagnoser]
public class SqliteBenchmarks
{
    private static readonly PolicyContext Context = new() { AgentId = "agent_001" };
    private static readonly byte[] Key = "t1/system/config"u8.ToArray();
    private static readonly byte[] Value = "hello"u8.ToArray();

    private string _directory = null!;
    private Database _database = null!;
    private PolicyEngine _engine = null!;
    private SqliteConnection _raw = null!;
    private SqliteCommand _rawPut = null!;
    private SqliteCommand _rawGet = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("sochdb-bench-").FullName;
        _database = Database.Open(Path.Combine(_directory, "policy.db"), new DatabaseOptions { Durability = Durability.Normal });
        _database.Put(Key, Value);
        _engine = new PolicyEngine(_database, Rules16.Compiled);

        _raw = new SqliteConnection($"Data Source={Path.Combine(_directory, "raw.db")}");
        _raw.Open();
        using (SqliteCommand setup = _raw.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;";
            setup.ExecuteNonQuery();
        }

        _rawPut = _raw.CreateCommand();
        _rawPut.CommandText = "INSERT INTO kv (k, v) VALUES ($k, $v) ON CONFLICT(k) DO UPDATE SET v = excluded.v";
        _rawPut.Parameters.Add("$k", SqliteType.Blob).Value = Key;
        _rawPut.Parameters.Add("$v", SqliteType.Blob).Value = Value;
        _rawPut.Prepare();
        _rawPut.ExecuteNonQuery();
        _rawGet = _raw.CreateCommand();
        _rawGet.CommandText = "SELECT v FROM kv WHERE k = $k";
        _rawGet.Parameters.Add("$k", SqliteType.Blob).Value = Key;
        _rawGet.Prepare();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawPut.Dispose();
        _rawGet.Dispose();
        _raw.Dispose();
        _database.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "Put: raw Microsoft.Data.Sqlite")]
    public int RawPut() => _rawPut.ExecuteNonQuery();

    [Benchmark(Description = "Put: Database.Open")]
    public void DatabasePut() => _database.Put(Key, Value);

    [Benchmark(Description = "Put: PolicyEngine over Database.Open, 16 rules")]
    public void EnginePut() => _engine.Put(Key, Value, Context);

    [Benchmark(Description = "Get: raw Microsoft.Data.Sqlite")]
    public byte[]? RawGet() => _rawGet.ExecuteScalar() as byte[];

    [Benchmark(Description = "Get: Database.Open")]
    public byte[]? DatabaseGet() => _database.Get(Key);

    [Benchmark(Description = "Get: PolicyEngine over Database.Open, 16 rules")]
    public byte[]? EngineGet() => _engine.Get(Key, Context);
}
