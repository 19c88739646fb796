namespace SochDb.Policy.Tests.Audit;

/// <summary>A durable sink that throws: counted, reported, retried; operations follow the declared failure mode.</summary>
public sealed class AuditSinkFailureTests
{
    [Fact]
    public void FailClosed_RefusesGuardedOperationsWhileTheDurableSinkFails_AndLosesNoEntry()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        var reports = new List<(AuditSink Sink, Exception Exception)>();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], OnSinkFailure = (failed, exception) => { lock (reports) { reports.Add((failed, exception)); } } });
        sink.Failure = new IOException("disk full");

        engine.Put("a", "1");
        var flush = Assert.Throws<IOException>(engine.Audit.Flush);
        Assert.Contains("disk full", flush.InnerException!.Message); // the sink's exception, as the inner one
        Assert.DoesNotContain("disk full", flush.Message);
        Assert.True(engine.Audit.Status.IsFailing);

        var refused = Assert.Throws<PolicyViolationException>(() => engine.Put("b", "2"));
        Assert.Contains("durable audit log cannot record", refused.Message);
        Assert.Null(store.Get("b"));
        Assert.Throws<PolicyViolationException>(() => engine.Get("a"));

        sink.Failure = null;
        engine.Audit.Flush();
        Assert.False(engine.Audit.Status.IsFailing);
        engine.Put("c", "3");
        engine.Audit.Flush();

        // The refusals are audited too; the first entry was retried, not lost.
        Assert.Equal(new[] { "a/allowed", "b/failed", "a/failed", "c/allowed" },
            sink.Entries.Select(e => e.Key + "/" + AuditNames.Of(e.Result)));
        Assert.Equal("audit", sink.Entries[1].Rule);
        Assert.True(engine.Audit.Status.SinkFailures >= 1);
        Assert.All(reports, r => Assert.Same(sink, r.Sink));
        Assert.All(reports, r => Assert.IsType<IOException>(r.Exception));
        Assert.Equal(engine.Audit.Status.SinkFailures, reports.Count);
    }

    [Fact]
    public void FailOpen_LetsOperationsRun_AndRetriesUntilTheSinkTakesTheEntries()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], SinkFailure = FailureMode.FailOpen });
        sink.Failure = new IOException("database is locked");

        engine.Put("a", "1");
        Assert.Throws<IOException>(engine.Audit.Flush);
        engine.Put("b", "2");
        Assert.Equal("2"u8.ToArray(), store.Get("b"));

        sink.Failure = null;
        engine.Audit.Flush();
        Assert.Equal(new[] { "a", "b" }, sink.Entries.Select(e => e.Key));
        Assert.Equal(0, engine.Audit.Status.Dropped);
    }

    [Fact]
    public void ANonDurableSinkThatThrows_IsSkippedForThatBatch_AndNeverClosesTheGate()
    {
        using var store = Database.OpenInMemory();
        var exporter = new ControllableSink("exporter", durable: false) { Failure = new InvalidOperationException("collector down") };
        var ledger = new ControllableSink("ledger");
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [exporter, ledger] });

        engine.Put("a", "1");
        engine.Audit.Flush();
        engine.Put("b", "2");
        engine.Audit.Flush();

        Assert.Equal(new[] { "a", "b" }, ledger.Entries.Select(e => e.Key));
        Assert.Empty(exporter.Entries);
        Assert.False(engine.Audit.Status.IsFailing);
        Assert.True(engine.Audit.Status.SinkFailures >= 1);
        Assert.StartsWith("audit sink '", engine.Audit.Status.LastFailure);
        Assert.DoesNotContain("collector down", engine.Audit.Status.LastFailure); // the type, never the message
    }

    [Fact]
    public async Task ChangingSinksWhileOperationsRun_SendsEachOutcomeToExactlyOneSetOfSinks()
    {
        using var store = Database.OpenInMemory();
        var first = new ControllableSink("first");
        var second = new ControllableSink("second");
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [first], RingSize = 20_000 });
        int running = 3;
        var switcher = Task.Run(() =>
        {
            bool toSecond = true;
            while (Volatile.Read(ref running) > 0)
            {
                engine.Audit.Enable(new AuditOptions { Sinks = [toSecond ? second : first], RingSize = 20_000 });
                toSecond = !toSecond;
                Thread.Sleep(1);
            }
        });
        Parallel.For(0, 3, t =>
        {
            for (int i = 0; i < 5_000; i++)
            {
                engine.Put($"k/{t}/{i}", "v");
            }

            Interlocked.Decrement(ref running);
        });
        await switcher;
        engine.Audit.Flush();

        List<string> keys = [.. first.Entries.Select(e => e.Key), .. second.Entries.Select(e => e.Key)];
        Assert.Equal(15_000, keys.Count);
        Assert.Equal(15_000, keys.Distinct().Count());
        Assert.Equal(15_000, engine.Audit.Recent(int.MaxValue).Count);
    }
}
