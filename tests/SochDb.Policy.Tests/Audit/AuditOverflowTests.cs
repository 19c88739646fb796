namespace SochDb.Policy.Tests.Audit;

// The dropped-entries counter is read through a process-wide MeterListener: other engines dropping entries at the same
// time would add to it, so these tests run alone.
/// <summary>A full queue: Block loses nothing; Drop counts every dropped entry and leaves one gap record where they were.</summary>
[Collection(ProcessWideListeners.Name)]
public sealed class AuditOverflowTests
{
    [Fact]
    public async Task Block_WaitsForRoom_AndLosesNothing()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], QueueCapacity = 4, MaxBatchSize = 2, Overflow = FailureMode.FailClosed, MaxBlock = TimeSpan.FromMinutes(1) });
        sink.Open.Reset();

        // With the sink stalled, at most 4 queued + 2 in the writer's hands fit: the writer thread must block.
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                engine.Put("k" + i, "v");
            }
        });
        await Task.Delay(200);
        Assert.False(writer.IsCompleted, "50 writes finished although the audit queue holds 4 and the sink was stalled");
        Assert.Equal(0, engine.Audit.Status.Dropped);

        sink.Open.Set();
        await writer;
        engine.Audit.Flush();

        Assert.Equal(Enumerable.Range(0, 50).Select(i => "k" + i), sink.Entries.Select(e => e.Key));
        AuditStatus status = engine.Audit.Status;
        Assert.Equal((50L, 50L, 0L), (status.Enqueued, status.Written, status.Dropped));
    }

    [Fact]
    public void Drop_CountsEveryDroppedEntry_AndWritesOneGapRecordWhereTheyWere()
    {
        using var store = Database.OpenInMemory();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var sink = new ControllableSink();
        using var engine = new PolicyEngine(store, new PolicyEngineOptions { TimeProvider = time });
        using var meter = new System.Diagnostics.Metrics.MeterListener();
        long metered = 0;
        meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == Diagnostics.PolicyMetrics.AuditDroppedCounterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref metered, value));
        meter.Start();
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], QueueCapacity = 10, MaxBatchSize = 1, Overflow = FailureMode.FailOpen });

        // The writer takes "first" and stalls in the sink; then 10 entries fill the queue and 25 more are dropped.
        sink.Open.Reset();
        engine.Put("first", "v");
        Assert.True(SpinWait.SpinUntil(() => sink.Entered == 1, TimeSpan.FromSeconds(30)), "the writer never took the first entry");
        for (int i = 0; i < 35; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            engine.Put("k" + i, "v");
        }

        Assert.Equal(25, engine.Audit.Status.Dropped);
        sink.Open.Set();
        engine.Audit.Flush();
        engine.Put("after", "v");
        engine.Audit.Flush();

        List<AuditEntry> entries = sink.Entries;
        string[] expected = ["first", .. Enumerable.Range(0, 10).Select(i => "k" + i), "<gap>", "after"];
        Assert.Equal(expected, entries.Select(e => e.Result == AuditResult.EntriesDropped ? "<gap>" : e.Key));
        AuditEntry gap = entries[11];
        Assert.Equal(PolicyOperation.All, gap.Operation);
        Assert.Equal("25 entries dropped between 2026-12-01T00:00:11.0000000Z and 2026-12-01T00:00:35.0000000Z: the audit queue was full", gap.Reason);
        // 12 entries went through the queue, 25 were dropped: 37 outcomes.
        Assert.Equal((12L, 12L, 25L), (engine.Audit.Status.Enqueued, engine.Audit.Status.Written, engine.Audit.Status.Dropped));
        meter.RecordObservableInstruments();
        Assert.Equal(25, Interlocked.Read(ref metered));

        // The ring is not the queue: it kept every outcome.
        Assert.Equal(37, engine.Audit.Recent(int.MaxValue).Count);
    }

    [Fact]
    public void Drop_InTheDurableLog_TheGapRecordIsChainedLikeAnyEntry()
    {
        using var kit = new AuditTestKit(sink => new AuditOptions { Sinks = [sink], QueueCapacity = 2, MaxBatchSize = 1, Overflow = FailureMode.FailOpen });
        // The SQLite sink is fast, so drops depend on timing; whatever happened, the counts and the chain must agree.
        Parallel.For(0, 4, t =>
        {
            for (int i = 0; i < 500; i++)
            {
                kit.Engine.Put($"k/{t}/{i}", "v");
            }
        });

        List<AuditEntry> records = kit.Records();
        long dropped = kit.Engine.Audit.Status.Dropped;
        long reported = records.Where(r => r.Result == AuditResult.EntriesDropped)
            .Sum(r => long.Parse(r.Reason!.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(dropped, reported);
        Assert.Equal(2000, records.Count(r => r.Result != AuditResult.EntriesDropped) + dropped);
        Assert.True(kit.Engine.Audit.Verify().IsIntact);
    }
}
