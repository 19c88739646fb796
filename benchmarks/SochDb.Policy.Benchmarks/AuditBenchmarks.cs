using BenchmarkDotNet.Attributes;
using SochDb.Policy.Benchmarks.RuleSets;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// T9: a guarded Put over SQLite with the durable SQLite audit sink on, against the same Put without audit (the
/// baseline, same run); and the sink's own throughput, batches of 1,024 entries appended (hash chain included).
/// </summary>
[MemoryDiagnoser]
public class AuditBenchmarks
{
    private const int SinkEntries = 8_192;
    private static readonly PolicyContext Context = new() { AgentId = "agent_001", SessionId = "session_42" };
    private static readonly byte[] Key = "users/alice/profile"u8.ToArray();
    private static readonly byte[] Value = "hello"u8.ToArray();

    private string _directory = null!;
    private Database _plainStore = null!;
    private Database _auditedStore = null!;
    private SqliteAuditSink _engineSink = null!;
    private SqliteAuditSink _throughputSink = null!;
    private PolicyEngine _plain = null!;
    private PolicyEngine _audited = null!;
    private AuditEntry[][] _batches = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("sochdb-audit-bench-").FullName;
        var normal = new DatabaseOptions { Durability = Durability.Normal };
        _plainStore = Database.Open(Path.Combine(_directory, "plain.db"), normal);
        _auditedStore = Database.Open(Path.Combine(_directory, "audited.db"), normal);
        _plain = new PolicyEngine(_plainStore, Rules16.Compiled);
        _audited = new PolicyEngine(_auditedStore, Rules16.Compiled);
        _engineSink = SqliteAuditSink.Open(Path.Combine(_directory, "audit.db"), new SqliteAuditSinkOptions { Durability = Durability.Normal });
        _audited.Audit.Enable(new AuditOptions { Sinks = [_engineSink] });
        _throughputSink = SqliteAuditSink.Open(Path.Combine(_directory, "throughput.db"), new SqliteAuditSinkOptions { Durability = Durability.Normal });
        var entry = new AuditEntry(0, DateTimeOffset.UtcNow, PolicyOperation.Write, Key, AuditResult.Allowed, "agent_001", "session_42", null, null);
        _batches = Enumerable.Range(0, SinkEntries / 1_024).Select(_ => Enumerable.Repeat(entry, 1_024).ToArray()).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _audited.Dispose();
        _plain.Dispose();
        _engineSink.Dispose();
        _throughputSink.Dispose();
        _plainStore.Dispose();
        _auditedStore.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "guarded Put, SQLite, no audit")]
    public void PutWithoutAudit() => _plain.Put(Key, Value, Context);

    [Benchmark(Description = "guarded Put, SQLite, durable SQLite audit sink")]
    public void PutWithSqliteAudit() => _audited.Put(Key, Value, Context);

    /// <summary>Per entry: 1 / mean is the sink's sustained rate.</summary>
    [Benchmark(OperationsPerInvoke = SinkEntries, Description = "SQLite sink: append one entry (batches of 1,024)")]
    public void SinkAppend()
    {
        foreach (AuditEntry[] batch in _batches)
        {
            _throughputSink.Write(batch);
        }
    }
}
