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
            var logged = log.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Key).ToHashSet();
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
            List<AuditEntry> records = log.Query(new AuditQuery { After = headBeforeReopen, OldestFirst = true }).ToList();
            Assert.Equal(2, records.Count);
            Assert.Equal(AuditResult.EntriesDropped, records[0].Result);
            Assert.Contains($"entries after #{headBeforeReopen} may be missing", records[0].Reason);
            Assert.Equal("after-restart", records[1].Key);

            AuditVerification verification = engine.Audit.Verify();
            Assert.True(verification.IsIntact, verification.ToString());
            Assert.Contains(records[0].Sequence, verification.GapIds);
        }

        output.WriteLine($"{committed.Count} writes committed before the kill, {missing} of them without an entry");
    }

    internal static string Key((int Thread, long N) write) => $"audit/{write.Thread}/{write.N:D8}";

    [Fact]
    [Trait("Category", "Slow")]
    public async Task WithWrite_TwentyKillsAtRandomMoments_NoCommittedWriteWithoutItsEntry_AndTheChainVerifies()
    {
        string dbPath = _directory.File("withwrite.db");
        int seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        long acknowledged = 0;
        for (int run = 0; run < 20; run++)
        {
            // Kill after 1 to 300 acknowledged writes, or a random time after start-up (1 to 200 ms), so the kill
            // lands anywhere: inside a transaction, between the data and the commit, while the queue holds reads.
            using var timeout = new CancellationTokenSource(Timeout);
            using ChildProcess child = CrashDurabilityTests.StartWriter(dbPath, "audit-withwrite", run.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("ready", await child.ReadLine(timeout.Token));
            var lines = new List<string>();
            if (random.Next(2) == 0)
            {
                int writes = random.Next(1, 301);
                while (lines.Count < writes)
                {
                    lines.Add(await child.ReadLine(timeout.Token));
                }
            }
            else
            {
                await Task.Delay(random.Next(1, 201), timeout.Token);
            }

            lines.AddRange(await child.KillAndDrain(timeout.Token));
            Assert.NotEqual(0, child.Process.ExitCode);
            acknowledged += lines.Count;

            using Database store = Database.Open(dbPath, new DatabaseOptions { Durability = Durability.Normal });
            using SqliteAuditSink log = SqliteAuditSink.Open(dbPath, new SqliteAuditSinkOptions { Durability = Durability.Normal });
            HashSet<string> committed = store.Scan("ww/").Select(e => System.Text.Encoding.UTF8.GetString(e.Key)).ToHashSet();
            var logged = log.Query(new AuditQuery { OldestFirst = true })
                .Where(r => r.Operation == PolicyOperation.Write && r.Result == AuditResult.Allowed)
                .Select(r => r.Key).ToList();
            foreach (string line in lines)
            {
                Assert.Contains(line["put ".Length..], committed); // every acknowledged write is committed
            }

            Assert.Empty(committed.Except(logged)); // no committed write without its entry
            Assert.Empty(logged.Except(committed)); // no entry of a write that was not committed
            Assert.Equal(logged.Count, logged.Distinct().Count()); // none twice
            AuditVerification verification = log.Verify();
            Assert.True(verification.IsIntact, $"after kill {run + 1}: {verification}");
            output.WriteLine($"kill {run + 1}: {lines.Count} acknowledged, {committed.Count} committed writes in all, each with its entry; head #{verification.HeadId}");
        }

        Assert.True(acknowledged > 0, "no write was acknowledged in twenty runs");
    }

    /// <summary>Starts the writer in <paramref name="mode"/>, kills it after <paramref name="writes"/> committed writes, returns every write it reported.</summary>
    internal static async Task<List<(int Thread, long N)>> RunAndKill(string dbPath, string mode, int writes)
    {
        using ChildProcess child = CrashDurabilityTests.StartWriter(dbPath, mode);
        var committed = new List<(int, long)>();
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.Equal("ready", await child.ReadLine(timeout.Token));
        while (committed.Count < writes)
        {
            committed.Add(Parse(await child.ReadLine(timeout.Token)));
        }

        committed.AddRange((await child.KillAndDrain(timeout.Token)).Select(Parse));
        Assert.NotEqual(0, child.Process.ExitCode);
        return committed;

        static (int, long) Parse(string line)
        {
            string[] parts = line.Split(' ');
            Assert.Equal("put", parts[0]);
            return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
