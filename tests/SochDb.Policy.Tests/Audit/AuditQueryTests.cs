namespace SochDb.Policy.Tests.Audit;

/// <summary>Queries: filters, keyset paging both ways, and streaming in bounded memory over a large log.</summary>
/// <remarks>Alone in the process: its live-heap measurement must not count other tests' allocations.</remarks>
[Collection(SochDb.Policy.Tests.Storage.HeapMeasurementCollection.Name)]
public sealed class AuditQueryTests
{
    [Fact]
    public void QueriedEntries_CarryTheirIdAndChainLink_RecentEntriesDoNot_AndEveryResultCanBeAFilter()
    {
        using var kit = new AuditTestKit();
        kit.Engine.Put("a", "1");
        kit.Engine.Put("b", "2");
        kit.Engine.Audit.Flush();

        List<AuditEntry> logged = kit.Sink.Query(new AuditQuery { OldestFirst = true }).ToList();
        Assert.Equal([1L, 2L], logged.Select(e => e.Sequence));
        Assert.All(logged, e => Assert.Equal(32, e.Hash!.Length));
        Assert.NotEqual(logged[0].Hash, logged[1].Hash);
        Assert.Equal(kit.Sink.Verify().HeadHash, logged[1].Hash);
        Assert.All(kit.Engine.Audit.Recent(), e => Assert.Null(e.Hash));
        // The same decision, recorded and read back, is equal (the chain link and the log's id aside).
        AuditEntry recent = kit.Engine.Audit.Recent().Single(e => e.Key == "b");
        Assert.Equal((recent.Key, recent.Result, recent.Timestamp), (logged[1].Key, logged[1].Result, logged[1].Timestamp));

        foreach (AuditResult result in Enum.GetValues<AuditResult>())
        {
            Assert.Empty(kit.Sink.Query(new AuditQuery { Result = result, From = DateTimeOffset.MaxValue.AddDays(-1) }));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => kit.Sink.Query(new AuditQuery { Result = (AuditResult)99 }).ToList());
    }

    [Fact]
    public void FiltersCombine_AndPagesFollowOneAnotherWithoutGapsOrRepeats()
    {
        using var kit = new AuditTestKit();
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll, name: "no-system");
        DateTimeOffset start = kit.Time.GetUtcNow();
        for (int i = 0; i < 60; i++)
        {
            var context = new PolicyContext { AgentId = "a" + (i % 3), SessionId = "s" + (i % 2) };
            if (i % 5 == 0)
            {
                Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("system/" + i, "v", context));
            }
            else if (i % 2 == 0)
            {
                kit.Engine.Put("k" + i, "v", context);
            }
            else
            {
                kit.Engine.Get("k" + (i - 1), context);
            }

            kit.Time.Advance(TimeSpan.FromMinutes(1));
        }

        kit.Engine.Audit.Flush();
        List<AuditEntry> all = kit.Records();
        Assert.Equal(60, all.Count);

        AuditQuery query = new() { AgentId = "a1", Operation = PolicyOperation.Write, Result = AuditResult.Allowed };
        Assert.Equal(all.Where(r => r.AgentId == "a1" && r.Operation == PolicyOperation.Write && r.Result == AuditResult.Allowed).Select(r => r.Sequence).Reverse(),
            kit.Engine.Audit.Query(query).Select(r => r.Sequence));
        Assert.Equal(all.Where(r => r.SessionId == "s0" && r.Rule == "[BeforeWrite(\"system/*\")] no-system").Select(r => r.Sequence),
            kit.Sink.Query(new AuditQuery { SessionId = "s0", Rule = "[BeforeWrite(\"system/*\")] no-system", OldestFirst = true }).Select(r => r.Sequence));
        Assert.Equal(all.Skip(10).Take(20).Select(r => r.Sequence),
            kit.Sink.Query(new AuditQuery { From = start.AddMinutes(10), To = start.AddMinutes(30), OldestFirst = true }).Select(r => r.Sequence));
        Assert.Equal(12, kit.Sink.Query(new AuditQuery { Result = AuditResult.Denied }).Count());

        // Page by page, newest first, 7 at a time: every record once, in order.
        var paged = new List<long>();
        AuditQuery? page = new() { PageSize = 7 };
        int pages = 0;
        while (page is not null)
        {
            AuditPage result = kit.Sink.Ledger.ReadPage(page);
            Assert.True(result.Records.Count <= 7);
            paged.AddRange(result.Records.Select(r => r.Id));
            page = result.Next;
            pages++;
        }

        Assert.Equal(all.Select(r => r.Sequence).Reverse(), paged);
        Assert.Equal(9, pages);

        // A page continues after its cursor even when entries were added meanwhile.
        AuditPage first = kit.Sink.Ledger.ReadPage(new AuditQuery { OldestFirst = true, PageSize = 10 });
        kit.Engine.Put("late", "v");
        kit.Engine.Audit.Flush();
        AuditPage second = kit.Sink.Ledger.ReadPage(first.Next!);
        Assert.Equal(Enumerable.Range(11, 10).Select(i => (long)i), second.Records.Select(r => r.Id));
    }

    [Fact]
    public void BadQueriesAreRefusedNamingTheField()
    {
        using var kit = new AuditTestKit();
        Assert.Equal("PageSize", Assert.Throws<ArgumentOutOfRangeException>(() => kit.Sink.Query(new AuditQuery { PageSize = 0 })).ParamName);
        Assert.Equal("To", Assert.Throws<ArgumentOutOfRangeException>(() => kit.Sink.Ledger.ReadPage(
            new AuditQuery { From = DateTimeOffset.UnixEpoch.AddDays(1), To = DateTimeOffset.UnixEpoch })).ParamName);
        Assert.Equal("Result", Assert.Throws<ArgumentOutOfRangeException>(() => kit.Engine.Audit.Query(new AuditQuery { Result = (AuditResult)99 })).ParamName);
        using var store = Database.OpenInMemory();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable();
        Assert.Contains("durable log", Assert.Throws<InvalidOperationException>(() => engine.Audit.Verify()).Message);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void StreamingOverOneHundredThousandEntries_PagesInBoundedMemory()
    {
        const int count = 100_000;
        using var kit = new AuditTestKit(sink => new AuditOptions { Sinks = [sink], RingSize = 16 });
        var context = new PolicyContext { AgentId = "agent", SessionId = "session" };
        byte[] value = "v"u8.ToArray();
        for (int i = 0; i < count; i++)
        {
            kit.Engine.Put(System.Text.Encoding.UTF8.GetBytes($"users/u{i:D6}/profile"), value, context);
        }

        kit.Engine.Audit.Flush();

        // Streaming: the whole log goes past, but the live heap never holds more than a few pages of it.
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        long seen = 0;
        long expectedId = count;
        foreach (AuditEntry record in kit.Sink.Query(new AuditQuery { PageSize = 1_000 }))
        {
            Assert.Equal(expectedId--, record.Sequence);
            if (++seen % 10_000 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
        }

        Assert.Equal(count, seen);

        // For comparison, what holding the whole log would cost: the bound below must be far under it.
        long beforeList = GC.GetTotalMemory(forceFullCollection: true);
        List<AuditEntry> materialized = kit.Sink.Query(new AuditQuery { PageSize = 1_000 }).ToList();
        long listCost = GC.GetTotalMemory(forceFullCollection: true) - beforeList;
        GC.KeepAlive(materialized);
        Assert.True(listCost > 20_000_000, $"the whole log costs only {listCost} bytes; the bound proves nothing");
        Assert.True(peak < 4_000_000, $"streaming held {peak} bytes at its peak (the whole log: {listCost})");

        // Filtered keyset paging deep in the log.
        AuditPage deep = kit.Sink.Ledger.ReadPage(new AuditQuery { AgentId = "agent", After = 500, PageSize = 3 });
        Assert.Equal(new long[] { 499, 498, 497 }, deep.Records.Select(r => r.Id));
        Assert.True(kit.Sink.Verify().IsIntact);
    }
}
