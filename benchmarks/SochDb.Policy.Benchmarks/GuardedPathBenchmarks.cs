using BenchmarkDotNet.Attributes;
using SochDb.Policy.Benchmarks.RuleSets;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// T7: a 100-item batch written through <see cref="PolicyEngine.Write(WriteBatch, PolicyContext?)"/> over SQLite, against
/// the bare store's <c>Write</c> of the same batch (baseline), with 16 compiled rules and a per-agent limit.
/// </summary>
[MemoryDiagnoser]
public class BatchBenchmarks
{
    private static readonly PolicyContext Context = new() { AgentId = "agent_001" };

    private string _directory = null!;
    private Database _bare = null!;
    private Database _guardedStore = null!;
    private PolicyEngine _engine = null!;
    private WriteBatch _batch = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("sochdb-batch-bench-").FullName;
        var options = new DatabaseOptions { Durability = Durability.Normal };
        _bare = Database.Open(Path.Combine(_directory, "bare.db"), options);
        _guardedStore = Database.Open(Path.Combine(_directory, "guarded.db"), options);
        _engine = new PolicyEngine(_guardedStore, Rules16.Compiled);
        _engine.AddRateLimit(PolicyOperation.Write, int.MaxValue, "agent_id");
        _batch = new WriteBatch();
        for (int i = 0; i < 100; i++)
        {
            _batch.Put($"t{i % 16}/notes/item{i}", "{\"text\":\"a note of modest size\"}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bare.Dispose();
        _guardedStore.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "bare store Write(100)")]
    public void BareBatch() => _bare.Write(_batch);

    [Benchmark(Description = "engine Write(100)")]
    public void GuardedBatch() => _engine.Write(_batch, Context);
}

/// <summary>
/// T11: the asynchronous twins over the in-memory store against the synchronous calls (baseline): same time class and
/// no allocation beyond the synchronous call.
/// </summary>
[MemoryDiagnoser]
public class AsyncTwinBenchmarks
{
    private static readonly PolicyContext Context = new() { AgentId = "agent_001" };
    private static readonly ReadOnlyMemory<byte> Key = "t1/users/alice/profile"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Value = "{\"name\":\"Alice\"}"u8.ToArray();

    private Database _store = null!;
    private PolicyEngine _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        _store = Database.OpenInMemory();
        _engine = new PolicyEngine(_store, Rules16.Compiled);
        _engine.AddRateLimit(PolicyOperation.All, int.MaxValue, "agent_id");
        _engine.Put(Key.Span, Value.Span, Context);
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(Baseline = true, Description = "Put + Get (sync)")]
    public byte[]? Sync()
    {
        _engine.Put(Key.Span, Value.Span, Context);
        return _engine.Get(Key.Span, Context);
    }

    // Consumed without an async method of its own: a benchmark method that is itself async would add its own Task.
    [Benchmark(Description = "PutAsync + GetAsync")]
    public byte[]? Async()
    {
        _engine.PutAsync(Key, Value, Context).GetAwaiter().GetResult();
        return _engine.GetAsync(Key, Context).GetAwaiter().GetResult();
    }
}
