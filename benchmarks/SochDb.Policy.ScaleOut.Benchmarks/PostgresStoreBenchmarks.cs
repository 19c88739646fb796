using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Npgsql;
using NpgsqlTypes;
using SochDb.Policy.PostgreSql;

namespace SochDb.Policy.ScaleOut.Benchmarks;

/// <summary>
/// T12: the PostgreSQL store's put and get against the same SQL statements run through bare Npgsql (same server, same
/// connection settings: pooling and automatic preparation), so the ratio is the store's own overhead.
/// Keys cycle through 1,000 names; values are 100 bytes.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PostgresStoreBenchmarks
{
    private const int Keys = 1000;

    private PostgresStore _store = null!;
    private NpgsqlDataSource _bare = null!;
    private PostgresSchema _schema = null!;
    private byte[][] _keys = null!;
    private readonly byte[] _value = new byte[100];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        string connectionString = Servers.Postgres.ConnectionString + ";Max Auto Prepare=16;Auto Prepare Min Usages=1";
        string table = "bench_" + Guid.NewGuid().ToString("N")[..8];
        _store = PostgresStore.Open(connectionString, new PostgresStoreOptions { TableName = table });
        _schema = new PostgresSchema(table);
        _bare = NpgsqlDataSource.Create(connectionString);
        _keys = Enumerable.Range(0, Keys).Select(i => System.Text.Encoding.UTF8.GetBytes($"agents/agent-{i % 7}/memory/{i:D5}")).ToArray();
        new Random(1).NextBytes(_value);
        foreach (byte[] key in _keys)
        {
            _store.Put(key, _value);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _bare.Dispose();
    }

    private byte[] NextKey() => _keys[_next++ % Keys];

    [Benchmark(Baseline = true), BenchmarkCategory("Put")]
    public async Task Npgsql_Put()
    {
        await using NpgsqlConnection connection = await _bare.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(_schema.Put, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = NextKey() },
                new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = _value },
            },
        };
        await command.ExecuteNonQueryAsync();
    }

    [Benchmark, BenchmarkCategory("Put")]
    public ValueTask Store_PutAsync() => _store.PutAsync(NextKey(), _value);

    [Benchmark(Baseline = true), BenchmarkCategory("Get")]
    public async Task<byte[]?> Npgsql_Get()
    {
        await using NpgsqlConnection connection = await _bare.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(_schema.Get, connection)
        {
            Parameters = { new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = NextKey() } },
        };
        return (byte[]?)await command.ExecuteScalarAsync();
    }

    [Benchmark, BenchmarkCategory("Get")]
    public ValueTask<byte[]?> Store_GetAsync() => _store.GetAsync(NextKey());

    [Benchmark(Baseline = true), BenchmarkCategory("Get (sync)")]
    public byte[]? Npgsql_Get_Sync()
    {
        using NpgsqlConnection connection = _bare.OpenConnection();
        using var command = new NpgsqlCommand(_schema.Get, connection)
        {
            Parameters = { new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = NextKey() } },
        };
        return (byte[]?)command.ExecuteScalar();
    }

    [Benchmark, BenchmarkCategory("Get (sync)")]
    public byte[]? Store_Get_Sync() => _store.Get(NextKey());
}
