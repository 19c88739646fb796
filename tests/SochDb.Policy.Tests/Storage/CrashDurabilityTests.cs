namespace SochDb.Policy.Tests.Storage;

/// <summary>
/// Kills a writer process with SIGKILL in the middle of a stream of durable writes, then checks that every write
/// it acknowledged (printed after Put/Write returned) is in the file, and that no batch was applied in part.
/// </summary>
[Trait("Category", "Slow")]
public sealed class CrashDurabilityTests : IDisposable
{
    private const int AcknowledgedBeforeKill = 200;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task EveryAcknowledgedWriteSurvivesSigkill()
    {
        string dbPath = _directory.File("crash.db");
        using ChildProcess child = StartWriter(dbPath);
        var acknowledged = new List<string>();
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.Equal("ready", await child.ReadLine(timeout.Token));
        while (acknowledged.Count < AcknowledgedBeforeKill)
        {
            acknowledged.Add(await child.ReadLine(timeout.Token));
        }

        // Lines already in the pipe when the kill landed were acknowledged too.
        acknowledged.AddRange(await child.KillAndDrain(timeout.Token));
        Assert.NotEqual(0, child.Process.ExitCode);

        // The writer died without closing: its WAL is still there, and reopening must recover from it.
        Assert.Contains("crash.db-wal", _directory.FileNames());

        using Database db = Database.Open(dbPath);
        int puts = 0;
        int batches = 0;
        foreach (string ack in acknowledged)
        {
            string[] parts = ack.Split(' ');
            if (parts[0] == "put")
            {
                Assert.True(db.Get(parts[1]) is { } value && System.Text.Encoding.UTF8.GetString(value) == parts[1], $"acknowledged {ack} is lost");
                puts++;
            }
            else
            {
                Assert.Equal("batch", parts[0]);
                int size = int.Parse(parts[2]);
                Assert.Equal(size, db.Scan($"batch/{parts[1]}/").Count());
                batches++;
            }
        }

        Assert.True(puts >= 180 && batches >= 20, $"saw {puts} puts and {batches} batches");

        // A batch the writer had not acknowledged may be missing, but never half there.
        foreach (IGrouping<string, KeyValuePair<byte[], byte[]>> batch in db.Scan("batch/").GroupBy(e => System.Text.Encoding.UTF8.GetString(e.Value)))
        {
            Assert.Equal(5, batch.Count());
        }
    }

    [Fact]
    public async Task EveryAuditEntryFlushedBeforeSigkillIsThere_AndTheChainVerifies()
    {
        string dbPath = _directory.File("audited.db");
        using ChildProcess child = StartWriter(dbPath, "audit");
        var flushed = new long[] { -1, -1 };
        int lines = 0;
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.Equal("ready", await child.ReadLine(timeout.Token));
        while (lines < 40)
        {
            Acknowledge(await child.ReadLine(timeout.Token));
        }

        foreach (string line in await child.KillAndDrain(timeout.Token))
        {
            Acknowledge(line);
        }

        Assert.NotEqual(0, child.Process.ExitCode);

        using SqliteAuditSink log = SqliteAuditSink.Open(dbPath);
        AuditVerification verification = log.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        var records = log.Query(new AuditQuery { OldestFirst = true }).ToList();
        Assert.Equal(Enumerable.Range(1, records.Count).Select(i => (long)i), records.Select(r => r.Sequence));
        for (int thread = 0; thread < 2; thread++)
        {
            // Every entry the writer had flushed is there, in its order, and nothing of that thread is there twice.
            long[] mine = records.Where(r => r.AgentId == "writer-" + thread)
                .Select(r => long.Parse(r.Key.Split('/')[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.True(flushed[thread] >= 9, $"thread {thread} flushed nothing before the kill");
            Assert.True(mine.Length > flushed[thread], $"thread {thread} flushed up to {flushed[thread]} but the log holds {mine.Length} of its entries");
            Assert.Equal(Enumerable.Range(0, mine.Length).Select(i => (long)i), mine);
        }

        void Acknowledge(string ack)
        {
            string[] parts = ack.Split(' ');
            Assert.Equal("flushed", parts[0]);
            int thread = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            flushed[thread] = Math.Max(flushed[thread], long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
            lines++;
        }
    }

    [Fact]
    public async Task WriterThatFinishesLeavesOneClosedFile()
    {
        // The same child, run to completion: shows the harness itself works (exit code 0, every line acknowledged).
        string dbPath = _directory.File("complete.db");
        using ChildProcess child = StartWriter(dbPath, "20");
        using var timeout = new CancellationTokenSource(Timeout);
        string output = await child.Process.StandardOutput.ReadToEndAsync(timeout.Token);
        await child.Process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, child.Process.ExitCode);
        Assert.Equal(21, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(["complete.db"], _directory.FileNames());
        using Database db = Database.Open(dbPath);
        Assert.Equal(18 + (2 * 5), db.Scan("").Count());
    }

    /// <summary>Starts the crash writer (tests/SochDb.Policy.CrashWriter) on <paramref name="dbPath"/>.</summary>
    internal static ChildProcess StartWriter(string dbPath, params string[] extra) =>
        ChildProcess.Start("CrashWriterPath", [dbPath, .. extra]);
}
