namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// A durable sink that fails, or stalls, never hangs the application: new operations are refused at admission (at once
/// while the sink fails, after <see cref="AuditOptions.MaxBlock"/> while the queue stays full), nothing that was done
/// goes unrecorded, and recovery reopens the gate.
/// </summary>
public sealed class AuditNeverHangTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1, false)]
    [InlineData(64, false)]
    [InlineData(65_536, false)]
    [InlineData(1, true)]
    [InlineData(64, true)]
    [InlineData(65_536, true)]
    public async Task AFailingSink_RefusesNewOperations_InsteadOfBlocking_AndRecoveryLosesNothing(int queueCapacity, bool useAsync)
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink { Failure = new IOException("disk I/O error") };
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], QueueCapacity = queueCapacity, MaxBlock = TimeSpan.FromMilliseconds(100) });

        // Enough operations to fill the smaller queues many times over, and to outlast the first failure in the largest:
        // on a fast machine 3,000 puts can all be queued before the writer first meets the failing sink, so the loop
        // goes on until the first refusal (bounded; a hang shows as a TimeoutException below).
        var admitted = new List<string>();
        int refused = 0;
        var run = Task.Run(async () =>
        {
            for (int i = 0; i < 3_000 || (refused == 0 && i < 1_000_000); i++)
            {
                string key = "k" + i;
                try
                {
                    if (useAsync)
                    {
                        await engine.PutAsync(key, "v");
                    }
                    else
                    {
                        engine.Put(key, "v");
                    }

                    admitted.Add(key);
                }
                catch (PolicyViolationException refusal)
                {
                    Assert.Equal(PolicyRefusalCause.AuditUnavailable, refusal.Cause);
                    refused++;
                }
            }
        });
        // A hang shows as a TimeoutException here.
        await run.WaitAsync(Bound);

        Assert.True(refused > 0, "no operation was refused while the durable sink failed");
        Assert.True(engine.Audit.Status.IsFailing);
        foreach (string key in admitted)
        {
            Assert.NotNull(store.Get(key));
        }

        sink.Failure = null;
        FlushWhenRecovered(engine);
        engine.Put("after", "v");
        engine.Audit.Flush();

        // Every admitted operation has its entry; every refusal is there as an entry or counted in a gap record.
        List<AuditEntry> entries = sink.Entries;
        Assert.Equal([.. admitted, "after"], entries.Where(e => e.Result == AuditResult.Allowed).Select(e => e.Key));
        long refusalsRecorded = entries.Count(e => e.Result == AuditResult.Failed && e.Rule == "audit");
        long refusalsCounted = entries.Where(e => e.Result == AuditResult.EntriesDropped).Sum(GapCount);
        Assert.Equal(refused, refusalsRecorded + refusalsCounted);
        Assert.Equal(refusalsCounted, engine.Audit.Status.Dropped);
    }

    [Fact]
    public void AStalledSink_RefusesAfterMaxBlock_AndTheRefusalIsCounted()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], QueueCapacity = 1, MaxBatchSize = 1, MaxBlock = TimeSpan.FromMilliseconds(50) });
        sink.Open.Reset();

        engine.Put("first", "v");
        Assert.True(SpinWait.SpinUntil(() => sink.Entered == 1, Bound), "the writer never took the first entry");
        engine.Put("queued", "v");
        var refusal = Assert.Throws<PolicyViolationException>(() => engine.Put("refused", "v"));
        Assert.Contains("MaxBlock", refusal.Message);
        Assert.Equal(PolicyRefusalCause.AuditUnavailable, refusal.Cause);
        Assert.Null(store.Get("refused"));

        sink.Open.Set();
        engine.Audit.Flush();
        Assert.Equal(["first", "queued", "<gap 1>"], sink.Entries.Select(e => e.Result == AuditResult.EntriesDropped ? $"<gap {GapCount(e)}>" : e.Key));
    }

    [Fact]
    public async Task AHealthySlowSink_IsWaitedFor_WithinMaxBlock()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], QueueCapacity = 1, MaxBatchSize = 1, MaxBlock = TimeSpan.FromMinutes(1) });
        sink.Open.Reset();
        engine.Put("first", "v");
        Assert.True(SpinWait.SpinUntil(() => sink.Entered == 1, Bound), "the writer never took the first entry");
        engine.Put("queued", "v");

        var waiting = Task.Run(() => engine.Put("waits", "v"));
        await Task.WhenAny(waiting, Task.Delay(200));
        Assert.False(waiting.IsCompleted, "the operation did not wait for room in a full queue");
        sink.Open.Set();
        await waiting.WaitAsync(Bound);
        engine.Audit.Flush();
        Assert.Equal(["first", "queued", "waits"], sink.Entries.Select(e => e.Key));
        Assert.Equal(0, engine.Audit.Status.Dropped);
    }

    [Fact]
    public void AGapRecord_CountsOnlyTheDropsBeforeIt()
    {
        using var store = Database.OpenInMemory();
        var sink = new PermitSink();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], QueueCapacity = 2, MaxBatchSize = 1, Overflow = FailureMode.FailOpen });

        engine.Put("first", "v");
        Assert.True(SpinWait.SpinUntil(() => sink.Entered == 1, Bound), "the writer never took the first entry");
        engine.Put("k0", "v");
        engine.Put("k1", "v");
        engine.Put("d0", "v"); // dropped: the queue holds k0 and k1
        sink.Permits.Release(); // "first" is written, the writer takes k0 and waits again
        Assert.True(SpinWait.SpinUntil(() => sink.Entered == 2, Bound), "the writer never took the second entry");
        engine.Put("k2", "v");
        engine.Put("d1", "v"); // dropped after k2 was accepted: a gap of its own
        sink.Permits.Release(100);
        engine.Audit.Flush();

        Assert.Equal(["first", "k0", "k1", "<gap 1>", "k2", "<gap 1>"],
            sink.Entries.Select(e => e.Result == AuditResult.EntriesDropped ? $"<gap {GapCount(e)}>" : e.Key));
        Assert.Equal(2, engine.Audit.Status.Dropped);
    }

    private static long GapCount(AuditEntry gap) => long.Parse(gap.Reason!.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Flushes once the sink takes entries again (a retry already under way may still report the old failure).</summary>
    private static void FlushWhenRecovered(PolicyEngine engine)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                engine.Audit.Flush();
                return;
            }
            catch (IOException) when (attempt < 5)
            {
            }
        }
    }

    /// <summary>A durable sink whose every write waits for a permit.</summary>
    private sealed class PermitSink : AuditSink
    {
        private readonly List<AuditEntry> _entries = new();
        private int _entered;

        public PermitSink()
            : base("permits")
        {
        }

        public SemaphoreSlim Permits { get; } = new(0);

        public int Entered => Volatile.Read(ref _entered);

        public override bool IsDurable => true;

        public List<AuditEntry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return _entries.ToList();
                }
            }
        }

        public override void Write(IReadOnlyList<AuditEntry> batch)
        {
            Interlocked.Increment(ref _entered);
            Assert.True(Permits.Wait(Bound), "no permit came");
            lock (_entries)
            {
                _entries.AddRange(batch);
            }
        }
    }
}
