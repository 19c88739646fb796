namespace SochDb.Policy.Tests.Audit;

/// <summary>The background writer lets batches form (MaxBatchDelay) and the SQLite sink stores every field byte-exact.</summary>
public sealed class AuditBatchingTests
{
    [Fact]
    public void EntriesQueuedWithinTheBatchDelay_ReachTheSinkInFewBatches_NotOneEach()
    {
        var sink = new ControllableSink(durable: false);
        using var engine = new PolicyEngine(Database.OpenInMemory());
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], MaxBatchDelay = TimeSpan.FromSeconds(1), RingSize = 0 });

        for (int i = 0; i < 200; i++)
        {
            engine.Put("k" + i, "v");
        }

        engine.Audit.Flush();

        Assert.Equal(200, sink.Entries.Count);
        // One entry per batch would be 200 writes; the first entry may go alone before the rest are queued.
        Assert.True(sink.Writes <= 3, $"{sink.Writes} batches for 200 entries queued within the batch delay");
    }

    [Fact]
    public void WithoutABatchDelay_EverythingStillArrivesInOrder()
    {
        var sink = new ControllableSink(durable: false);
        using var engine = new PolicyEngine(Database.OpenInMemory());
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], MaxBatchDelay = TimeSpan.Zero, RingSize = 0 });

        for (int i = 0; i < 500; i++)
        {
            engine.Put("k" + i, "v");
        }

        engine.Audit.Flush();

        Assert.Equal(Enumerable.Range(0, 500).Select(i => "k" + i), sink.Entries.Select(e => e.Key));
    }

    [Fact]
    public void AQueueSmallerThanABatch_DoesNotWaitForABatchItCannotHold()
    {
        var sink = new ControllableSink(durable: false);
        using var engine = new PolicyEngine(Database.OpenInMemory());
        engine.Audit.Enable(new AuditOptions
        {
            Sinks = [sink], QueueCapacity = 4, MaxBatchSize = 1_024, MaxBatchDelay = TimeSpan.FromSeconds(1), RingSize = 0,
        });

        // Block overflow: each put beyond four waits for the writer, which must write as soon as the queue is full.
        for (int i = 0; i < 40; i++)
        {
            engine.Put("k" + i, "v");
        }

        engine.Audit.Flush();
        Assert.Equal(40, sink.Entries.Count);
        Assert.True(sink.Writes >= 10, $"{sink.Writes} batches: a queue of four holds at most four entries per batch");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1_001)]
    public void ABatchDelayOutOfRange_IsRefusedByName(int milliseconds)
    {
        using var engine = new PolicyEngine(Database.OpenInMemory());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            engine.Audit.Enable(new AuditOptions { MaxBatchDelay = TimeSpan.FromMilliseconds(milliseconds) }));
        Assert.Contains("MaxBatchDelay", e.Message);
    }

    [Fact]
    public void TheSqliteSink_StoresTextOfAnyLengthAndScript_AndNullsAsNull_ByteExact()
    {
        using var directory = new Storage.TestDirectory();
        using var sink = SqliteAuditSink.Open(directory.File("audit.db"), new SqliteAuditSinkOptions { Durability = Durability.Normal });
        string longReason = string.Concat(Enumerable.Repeat("raison d'être — 理由 🙂 ", 60)); // well past any small scratch buffer
        byte[] nonUtf8Key = { 0x61, 0xFF, 0x00, 0xC3, 0x28, 0x2F };
        var entries = new[]
        {
            new AuditEntry(0, new DateTimeOffset(2026, 12, 2, 1, 2, 3, TimeSpan.Zero), PolicyOperation.Delete, nonUtf8Key, AuditResult.Denied,
                "agént-✓", "séssion-🙂", "[BeforeDelete(\"*\")] règle", longReason, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", isKeyMasked: true),
            new AuditEntry(0, new DateTimeOffset(2026, 12, 2, 1, 2, 4, TimeSpan.Zero), PolicyOperation.Read, "plain"u8.ToArray(), AuditResult.Allowed,
                null, null, null, null),
        };

        sink.Write(entries);

        List<AuditEntry> stored = sink.Query(new AuditQuery { OldestFirst = true }).ToList();
        Assert.Equal(2, stored.Count);
        AuditEntry first = stored[0];
        Assert.Equal(nonUtf8Key, first.KeyBytes);
        Assert.Equal(("agént-✓", "séssion-🙂"), (first.AgentId, first.SessionId));
        Assert.Equal("[BeforeDelete(\"*\")] règle", first.Rule);
        Assert.Equal(longReason, first.Reason);
        Assert.Equal(("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"), (first.TraceId, first.SpanId));
        Assert.True(first.IsKeyMasked);
        Assert.Equal((PolicyOperation.Delete, AuditResult.Denied), (first.Operation, first.Result));
        AuditEntry second = stored[1];
        Assert.Equal((null, null, null, null, null, null), (second.AgentId, second.SessionId, second.Rule, second.Reason, second.TraceId, second.SpanId));
        Assert.False(second.IsKeyMasked);
        Assert.True(sink.Verify().IsIntact);
    }
}

/// <summary>Regression: the writer waited out the last fraction of a millisecond with zero-length waits, spinning on the
/// gate every operation takes to enqueue (an audited Put cost 1.2–1.3× an unaudited one with a sink that did nothing).</summary>
public sealed class AuditWriterWaitTests
{
    [Theory]
    [InlineData(1L, 1_000_000_000L, 1)]          // 1 ns left: still a 1 ms wait, never 0
    [InlineData(999_999L, 1_000_000_000L, 1)]    // just under 1 ms
    [InlineData(1_000_001L, 1_000_000_000L, 2)]  // just over 1 ms rounds up
    [InlineData(2_000_000L, 1_000_000_000L, 2)]
    [InlineData(3L, 1_000L, 3)]                  // a millisecond clock
    [InlineData(long.MaxValue / 2000, 1L, int.MaxValue)]
    public void TheWriterWaitsWholeMillisecondsRoundedUp_NeverZero(long remainingTicks, long ticksPerSecond, int expected) =>
        Assert.Equal(expected, SochDb.Policy.Audit.AuditPipeline.WaitMilliseconds(remainingTicks, ticksPerSecond));
}
