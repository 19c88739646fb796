using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Audit;

/// <summary>An engine over an in-memory store on a fake clock, auditing into a SQLite audit file in a fresh directory.</summary>
internal sealed class AuditTestKit : IDisposable
{
    private readonly TestDirectory _directory = new();

    public AuditTestKit(Func<SqliteAuditSink, AuditOptions>? options = null, SqliteAuditSinkOptions? sinkOptions = null)
    {
        Store = Database.OpenInMemory();
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        Path = _directory.File("audit.db");
        Sink = SqliteAuditSink.Open(Path, sinkOptions ?? new SqliteAuditSinkOptions { Durability = Durability.Normal });
        Engine = new PolicyEngine(Store, new PolicyEngineOptions { TimeProvider = Time });
        Engine.Audit.Enable(options?.Invoke(Sink) ?? new AuditOptions { Sinks = [Sink] });
    }

    public Database Store { get; }

    public FakeTimeProvider Time { get; }

    public string Path { get; }

    public SqliteAuditSink Sink { get; set; }

    public PolicyEngine Engine { get; }

    public TestDirectory Directory => _directory;

    public List<AuditEntry> Records(AuditQuery? query = null)
    {
        Engine.Audit.Flush();
        return Sink.Query(query ?? new AuditQuery { OldestFirst = true }).ToList();
    }

    /// <summary>Runs SQL against the audit file from outside the sink (as an attacker or an auditor would).</summary>
    public void Sql(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    /// <summary>Every byte of the audit file (and its WAL), for "never appears anywhere" checks.</summary>
    public byte[] FileBytes()
    {
        var all = new List<byte>();
        foreach (string file in new[] { Path, Path + "-wal" })
        {
            if (File.Exists(file))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                all.AddRange(memory.ToArray());
            }
        }

        return all.ToArray();
    }

    public static bool Contains(byte[] haystack, string text) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    public void Dispose()
    {
        Engine.Dispose();
        Sink.Dispose();
        Store.Dispose();
        _directory.Dispose();
    }
}

/// <summary>A sink for tests: keeps what it gets, and can be made to block or to throw.</summary>
internal sealed class ControllableSink : AuditSink
{
    private readonly bool _durable;
    private readonly object _lock = new();
    private readonly List<AuditEntry> _entries = new();

    public ControllableSink(string name = "test", bool durable = true)
        : base(name)
    {
        _durable = durable;
    }

    public override bool IsDurable => _durable;

    /// <summary>While reset, Write waits (the queue then fills up).</summary>
    public ManualResetEventSlim Open { get; } = new(initialState: true);

    /// <summary>While set, Write throws this.</summary>
    public Exception? Failure { get; set; }

    public int Writes { get; private set; }

    private int _entered;

    /// <summary>Calls of Write so far, counted on entry (before waiting for <see cref="Open"/>).</summary>
    public int Entered => Volatile.Read(ref _entered);

    public List<AuditEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return _entries.ToList();
            }
        }
    }

    public override void Write(IReadOnlyList<AuditEntry> batch)
    {
        Interlocked.Increment(ref _entered);
        Open.Wait(TimeSpan.FromMinutes(1));
        lock (_lock)
        {
            Writes++;
            if (Failure is { } failure)
            {
                throw failure;
            }

            _entries.AddRange(batch);
        }
    }
}
