using static SochDb.Policy.Tests.Engine.EngineTestKit;

namespace SochDb.Policy.Tests.Engine;

/// <summary>The audit log: a true ring buffer, filter first, newest <c>limit</c> in chronological order.</summary>
public sealed class AuditLogTests
{
    [Fact]
    public void TheLogIsARingBufferOfTheNewestMaxEntries()
    {
        using var kit = new EngineTestKit();
        kit.Engine.Audit.Enable(maxEntries: 5);
        for (int i = 0; i < 12; i++)
        {
            kit.Engine.Put("k" + i, "v");
        }

        IReadOnlyList<AuditEntry> entries = kit.Engine.Audit.Recent(limit: 100);

        Assert.Equal(new[] { "k7", "k8", "k9", "k10", "k11" }, entries.Select(e => e.Key));
        Assert.Equal(new long[] { 7, 8, 9, 10, 11 }, entries.Select(e => e.Sequence));
    }

    [Fact]
    public void FiltersApplyBeforeTheLimit_AndTheNewestMatchesComeBackOldestFirst()
    {
        using var kit = new EngineTestKit();
        for (int i = 0; i < 10; i++)
        {
            kit.Engine.Put("w" + i, "v", Agent(i % 2 == 0 ? "even" : "odd"));
            kit.Time.Advance(TimeSpan.FromSeconds(1));
            kit.Engine.Get("w" + i, Agent("even"));
        }

        // The newest 3 entries of all are odd/even reads; filtering after the limit would find 1 or 0 writes of "even".
        var evenWrites = kit.Engine.Audit.Recent(limit: 3, agentId: "even", operation: PolicyOperation.Write);
        var odd = kit.Engine.Audit.Recent(limit: 2, agentId: "odd");
        var allReads = kit.Engine.Audit.Recent(limit: 100, operation: PolicyOperation.Read);
        var everything = kit.Engine.Audit.Recent(limit: 100, operation: PolicyOperation.All);

        Assert.Equal(new[] { "w4", "w6", "w8" }, evenWrites.Select(e => e.Key));
        Assert.Equal(new[] { "w7", "w9" }, odd.Select(e => e.Key));
        Assert.Equal(10, allReads.Count);
        Assert.Equal(20, everything.Count);
        Assert.True(evenWrites[0].Timestamp < evenWrites[1].Timestamp);
    }

    [Fact]
    public void DisablingStopsRecording_KeepsWhatWasRecorded_AndEnablingAgainContinues()
    {
        using var kit = new EngineTestKit();
        kit.Engine.Put("a", "v");
        kit.Engine.Audit.Disable();
        Assert.False(kit.Engine.Audit.IsEnabled);
        kit.Engine.Put("b", "v");
        kit.Engine.Audit.Enable(2);
        kit.Engine.Put("c", "v");
        kit.Engine.Put("d", "v");

        Assert.Equal(new[] { "c", "d" }, kit.Engine.Audit.Recent().Select(e => e.Key));
    }

    [Fact]
    public void AnEngineWithoutAuditReturnsAnEmptyLog()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store);
        engine.Put("a", "v");

        Assert.Empty(engine.Audit.Recent());
        Assert.False(engine.Audit.IsEnabled);
    }

    [Fact]
    public void EntriesCarryTheKeyBytesExactly_EvenWhenTheyAreNotUtf8()
    {
        using var kit = new EngineTestKit();
        byte[] key = { (byte)'b', (byte)'/', 0xFF, 0xFE };
        kit.Engine.BeforeWrite("b/*", Policies.DenyAll);

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put(key, "v"u8));

        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(key, entry.KeyBytes);
        Assert.Equal(key, refused.KeyBytes);
        Assert.Equal(AuditResult.Denied, entry.Result);
    }

    [Fact]
    public void ConcurrentWritersLoseNoEntry_AndEachSequenceAppearsOnce()
    {
        using var kit = new EngineTestKit();
        kit.Engine.Audit.Enable(1_000_000);
        const int threads = 4;
        const int perThread = 5_000;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var context = Agent("t" + t);
            for (int i = 0; i < perThread; i++)
            {
                kit.Engine.Get("k", context);
            }
        });

        IReadOnlyList<AuditEntry> entries = kit.Engine.Audit.Recent(int.MaxValue);
        Assert.Equal(threads * perThread, entries.Count);
        Assert.Equal(Enumerable.Range(0, threads * perThread).Select(i => (long)i), entries.Select(e => e.Sequence));
        for (int t = 0; t < threads; t++)
        {
            Assert.Equal(perThread, kit.Engine.Audit.Recent(int.MaxValue, agentId: "t" + t).Count);
        }
    }

    [Fact]
    public async Task ASmallRingUnderConcurrentWritersAndReaders_NeverReturnsATornOrStaleEntry()
    {
        using var kit = new EngineTestKit();
        const int capacity = 2;
        kit.Engine.Audit.Enable(capacity);
        const int threads = 4;
        const int perThread = 20_000;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var done = new CancellationTokenSource();

        // Every entry must be internally consistent: the key names the writer's agent, and the operation and
        // session are the ones that writer always uses.
        void Check(IReadOnlyList<AuditEntry> entries)
        {
            long previous = -1;
            foreach (AuditEntry entry in entries)
            {
                if (entry.Sequence <= previous)
                {
                    failures.Enqueue($"sequence {entry.Sequence} after {previous}");
                }

                previous = entry.Sequence;
                string agent = entry.AgentId ?? "<null>";
                if (!entry.Key.StartsWith(agent + "/", StringComparison.Ordinal) || entry.SessionId != "s-" + agent
                    || entry.Operation != (agent.EndsWith('0') || agent.EndsWith('2') ? PolicyOperation.Write : PolicyOperation.Read))
                {
                    failures.Enqueue($"torn entry {entry}");
                }
            }
        }

        Task reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                IReadOnlyList<AuditEntry> entries = kit.Engine.Audit.Recent(int.MaxValue);
                if (entries.Count > capacity)
                {
                    failures.Enqueue($"{entries.Count} entries in a ring of {capacity}");
                }

                Check(entries);
            }
        });
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            string agent = "t" + t;
            var context = new PolicyContext { AgentId = agent, SessionId = "s-" + agent };
            for (int i = 0; i < perThread; i++)
            {
                // Keys of different lengths, so slots keep switching key buffers.
                string key = agent + "/" + new string('k', i % 300);
                if (t % 2 == 0)
                {
                    kit.Engine.Put(key, "v", context);
                }
                else
                {
                    kit.Engine.Get(key, context);
                }
            }
        });
        done.Cancel();
        await reader;

        Assert.Empty(failures);
        IReadOnlyList<AuditEntry> final = kit.Engine.Audit.Recent(int.MaxValue);
        Assert.Equal(Enumerable.Range(threads * perThread - capacity, capacity).Select(i => (long)i), final.Select(e => e.Sequence));
        Check(final);
        Assert.Empty(failures);
    }

    [Fact]
    public void OnTheSystemClock_TimestampsAreTheWallClock()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store);
        engine.Audit.Enable();
        DateTimeOffset before = DateTimeOffset.UtcNow;
        engine.Put("k", "v");
        DateTimeOffset after = DateTimeOffset.UtcNow;

        DateTimeOffset stamped = Assert.Single(engine.Audit.Recent()).Timestamp;

        // The coarse tick has a resolution of a few milliseconds (16 on Windows): allow a generous margin.
        Assert.Equal(TimeSpan.Zero, stamped.Offset);
        Assert.InRange(stamped, before - TimeSpan.FromSeconds(1), after + TimeSpan.FromSeconds(1));
    }
}
