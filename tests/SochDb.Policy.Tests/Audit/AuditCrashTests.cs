using System.Diagnostics;
using SochDb.Policy.Tests.Storage;
using Xunit.Abstractions;

namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// A writer process killed with SIGKILL while it writes through an audited engine, store and log in one SQLite file:
/// what the log holds afterwards, and what it says about what it may have missed.
/// </summary>
public sealed class AuditCrashTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    [Trait("Category", "Slow")]
    public async Task AsynchronousMode_AReopenedLogRecordsThatEntriesMayBeMissing_AndTheWriterKeptUp()
    {
        string dbPath = _directory.File("async.db");
        List<(int Thread, long N)> committed = await RunAndKill(dbPath, "audit-async", 2_000);

        long missing;
        long headBeforeReopen;
        using (Database store = Database.Open(dbPath))
        using (SqliteAuditSink log = SqliteAuditSink.Open(dbPath))
        {
            var logged = log.Query(new AuditQuery { Order = AuditOrder.OldestFirst }).Select(r => r.Entry.Key).ToHashSet();
            headBeforeReopen = log.Verify().HeadId;
            missing = committed.Count(w => !logged.Contains(Key(w)));
            foreach ((int thread, long n) in committed)
            {
                Assert.NotNull(store.Get(Key((thread, n))));
            }

            // The application starts again: its first write puts the gap record in front of its own entry.
            using var engine = new PolicyEngine(store);
            engine.Audit.Enable(new AuditOptions { Sinks = [log] });
            engine.Put("after-restart", "v");
            engine.Audit.Flush();
            List<AuditRecord> records = log.Query(new AuditQuery { After = headBeforeReopen, Order = AuditOrder.OldestFirst }).ToList();
            Assert.Equal(2, records.Count);
            Assert.Equal(AuditResult.EntriesDropped, records[0].Entry.Result);
            Assert.Contains($"entries after #{headBeforeReopen} may be missing", records[0].Entry.Reason);
            Assert.Equal("after-restart", records[1].Entry.Key);

            AuditVerification verification = engine.Audit.Verify();
            Assert.True(verification.IsIntact, verification.ToString());
            Assert.Contains(records[0].Id, verification.GapIds);
        }

        output.WriteLine($"{committed.Count} writes committed before the kill, {missing} of them without an entry");
    }

    internal static string Key((int Thread, long N) write) => $"audit/{write.Thread}/{write.N:D8}";

    /// <summary>Starts the writer in <paramref name="mode"/>, kills it after <paramref name="writes"/> committed writes, returns every write it reported.</summary>
    internal static async Task<List<(int Thread, long N)>> RunAndKill(string dbPath, string mode, int writes)
    {
        using Process child = CrashDurabilityTests.StartWriter(dbPath, mode);
        var committed = new List<(int, long)>();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            Assert.Equal("ready", await CrashDurabilityTests.ReadLine(child, timeout.Token));
            while (committed.Count < writes)
            {
                committed.Add(Parse(await CrashDurabilityTests.ReadLine(child, timeout.Token)));
            }
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
        }

        await child.WaitForExitAsync(timeout.Token);
        Assert.NotEqual(0, child.ExitCode);
        string? line;
        while ((line = await child.StandardOutput.ReadLineAsync(timeout.Token)) is not null)
        {
            committed.Add(Parse(line));
        }

        return committed;

        static (int, long) Parse(string line)
        {
            string[] parts = line.Split(' ');
            Assert.Equal("put", parts[0]);
            return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
