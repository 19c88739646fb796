using SochDb.Policy.Tests.Engine;

namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// Regression: resizing the audit log while operations ran lost entries (the resize copied entries into slots whose
/// sequence numbers the new log handed out again, and entries appended to the old log during the copy vanished).
/// </summary>
public sealed class AuditResizeRegressionTests
{
    [Trait("Category", "Slow")]
    [Fact]
    public async Task ResizingTheAuditLogWhileOperationsRunLosesNoEntry()
    {
        using var kit = new EngineTestKit();
        const int capacity = 100_000;
        const int threads = 4;
        const int perThread = 12_500;
        kit.Engine.Audit.Enable(capacity);
        int running = threads;
        int progress = 0;
        int resizes = 0;
        var resizer = Task.Run(() =>
        {
            // Alternate sizes while the writers run, each time after they have made some progress (and at least ten
            // times, even if they finish first). The ring never laps, so every entry must still be there.
            int seen = 0;
            while (Volatile.Read(ref running) > 0 || resizes < 10)
            {
                int now = Volatile.Read(ref progress);
                if (now - seen < 2_000 && Volatile.Read(ref running) > 0)
                {
                    Thread.Yield();
                    continue;
                }

                seen = now;
                kit.Engine.Audit.Enable(resizes % 2 == 0 ? capacity - 1 : capacity);
                resizes++;
            }
        });
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var context = EngineTestKit.Agent("t" + t);
            for (int i = 0; i < perThread; i++)
            {
                kit.Engine.Put("k/" + t + "/" + i, "v", context);
                Interlocked.Increment(ref progress);
            }

            Interlocked.Decrement(ref running);
        });
        await resizer;

        IReadOnlyList<AuditEntry> entries = kit.Engine.Audit.Recent(int.MaxValue);
        Assert.True(resizes >= 10, $"only {resizes} resizes");
        Assert.Equal(threads * perThread, entries.Count);
        Assert.Equal(Enumerable.Range(0, threads * perThread).Select(i => (long)i), entries.Select(e => e.Sequence));
        for (int t = 0; t < threads; t++)
        {
            Assert.Equal(perThread, entries.Count(e => e.AgentId == "t" + t));
        }

        Assert.Equal(threads * perThread, entries.Select(e => e.Key).Distinct().Count());
    }

    [Fact]
    public void ShrinkingKeepsTheNewestEntries_AndNumberingContinues()
    {
        using var kit = new EngineTestKit();
        kit.Engine.Audit.Enable(10);
        for (int i = 0; i < 8; i++)
        {
            kit.Engine.Put("k" + i, "v");
        }

        kit.Engine.Audit.Enable(3);
        kit.Engine.Put("k8", "v");
        kit.Engine.Audit.Enable(5);
        kit.Engine.Put("k9", "v");

        IReadOnlyList<AuditEntry> entries = kit.Engine.Audit.Recent(100);
        Assert.Equal(new[] { "k6", "k7", "k8", "k9" }, entries.Select(e => e.Key));
        Assert.Equal(new long[] { 6, 7, 8, 9 }, entries.Select(e => e.Sequence));
    }

    [Fact]
    public async Task EnablingAndDisablingWhileOperationsRun_RecordsEachOutcomeAtMostOnce_AndEveryOutcomeWhileOn()
    {
        using var kit = new EngineTestKit();
        kit.Engine.Audit.Enable(100_000);
        const int threads = 3;
        const int perThread = 10_000;
        int running = threads;
        var toggler = Task.Run(() =>
        {
            int round = 0;
            while (Volatile.Read(ref running) > 0)
            {
                kit.Engine.Audit.Disable();
                kit.Engine.Audit.Enable(round++ % 2 == 0 ? 99_999 : 100_000);
                Thread.Sleep(1);
            }
        });
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (int i = 0; i < perThread; i++)
            {
                kit.Engine.Put("k/" + t + "/" + i, "v");
            }

            Interlocked.Decrement(ref running);
        });
        await toggler;
        for (int i = 0; i < 100; i++)
        {
            kit.Engine.Put("after/" + i, "v");
        }

        IReadOnlyList<AuditEntry> entries = kit.Engine.Audit.Recent(int.MaxValue);
        // Sequence numbers are handed out only to recorded entries, so they stay contiguous; no key is recorded twice.
        Assert.Equal(Enumerable.Range(0, entries.Count).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(entries.Count, entries.Select(e => e.Key).Distinct().Count());
        Assert.Equal(100, entries.Count(e => e.Key.StartsWith("after/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Defect6_TheRingKeepsNoCounterNobodyReads()
    {
        // TotalRecorded was computed, never read: a member kept alive only by the resize path it had to follow.
        var members = typeof(SochDb.Policy.Audit.AuditLog).GetMembers(
            System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
        Assert.DoesNotContain(members, m => m.Name.Contains("TotalRecorded", StringComparison.Ordinal));
    }
}
