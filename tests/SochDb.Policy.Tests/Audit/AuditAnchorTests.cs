using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// The head kept elsewhere: published every N entries, every interval and at disposal, and
/// <see cref="AuditLedger.Verify(AuditHead)"/> against it finds what the chain alone cannot (each attack below verifies
/// as intact without the head).
/// </summary>
public sealed class AuditAnchorTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly TestDirectory _elsewhere = new();

    public void Dispose() => _elsewhere.Dispose();

    private string HeadsPath => _elsewhere.File("heads.txt");

    [Fact]
    public void TheHeadIsPublishedEveryNEntries_AndAtDisposal()
    {
        var anchor = IAuditAnchor.File(HeadsPath);
        using var kit = new AuditTestKit(sink => new AuditOptions { Sinks = [sink], Anchor = anchor, AnchorEvery = 10, AnchorInterval = TimeSpan.FromHours(1) });
        for (int i = 0; i < 30; i++)
        {
            kit.Engine.Put("k" + i, "v");
            kit.Engine.Audit.Flush(); // one entry per batch, so the count decides
        }

        Assert.True(SpinWait.SpinUntil(() => Lines().Length == 3, Bound), $"published: {string.Join(" | ", Lines())}");
        Assert.Equal(["#10", "#20", "#30"], Lines().Select(l => l.Split(' ')[0]));

        kit.Engine.Put("last", "v");
        kit.Engine.Dispose();
        AuditHead published = AuditHead.ReadLast(HeadsPath)!;
        Assert.Equal(kit.Sink.Verify().Head, published);
        Assert.Equal(31, published.Id);
    }

    [Fact]
    public void AQuietLogIsAnchoredAfterTheInterval()
    {
        var anchor = IAuditAnchor.File(HeadsPath);
        using var kit = new AuditTestKit(sink => new AuditOptions { Sinks = [sink], Anchor = anchor, AnchorEvery = 1_000, AnchorInterval = TimeSpan.FromMilliseconds(50) });
        kit.Engine.Put("only", "v");
        kit.Engine.Audit.Flush();
        Assert.True(SpinWait.SpinUntil(() => File.Exists(HeadsPath) && Lines().Length == 1, Bound), "the head of a quiet log was never published");
        Assert.Equal(1, AuditHead.ReadLast(HeadsPath)!.Id);
    }

    [Fact]
    public void AnAnchorNeedsADurableLog()
    {
        using var store = Database.OpenInMemory();
        using var engine = new PolicyEngine(store);
        var error = Assert.Throws<ArgumentException>(() => engine.Audit.Enable(new AuditOptions { Anchor = IAuditAnchor.File(HeadsPath) }));
        Assert.Contains("durable log", error.Message);
    }

    [Fact]
    public void DeletingTheNewestEntries_IsFoundByTheAnchoredHead()
    {
        using AuditTestKit kit = AnchoredLog(10);
        kit.Sql("DELETE FROM sochdb_audit WHERE id > 7");

        Assert.True(kit.Sink.Verify().IsIntact, "the chain alone cannot see a cut tail");
        AuditVerification verification = kit.Sink.Verify(AuditHead.ReadLast(HeadsPath)!);
        Assert.False(verification.IsIntact);
        Assert.Equal(8, verification.FirstBrokenId);
        Assert.Contains("entries #8 to #10 were removed", verification.Problem);
    }

    [Fact]
    public void DeletingEveryEntry_IsFoundByTheAnchoredHead()
    {
        using AuditTestKit kit = AnchoredLog(10);
        kit.Sql("DELETE FROM sochdb_audit");

        Assert.True(kit.Sink.Verify().IsIntact, "an empty log verifies on its own");
        AuditVerification verification = kit.Sink.Verify(AuditHead.ReadLast(HeadsPath)!);
        Assert.Equal(1, verification.FirstBrokenId);
        Assert.Contains("every entry was removed", verification.Problem);
    }

    [Fact]
    public void AFakeRetentionCheckpoint_IsFound_EvenWithoutTheHead()
    {
        using AuditTestKit kit = AnchoredLog(10);
        AuditEntry fourth = kit.Sink.Query(new AuditQuery { OldestFirst = true }).Single(r => r.Sequence == 4);
        kit.Sql("DELETE FROM sochdb_audit WHERE id <= 4");
        kit.Sql("INSERT INTO sochdb_audit_checkpoint (one, last_id, last_hash, pruned, pruned_at) VALUES (1, 4, @hash, 4, 0)", ("@hash", fourth.Hash!));

        foreach (AuditVerification verification in new[] { kit.Sink.Verify(), kit.Sink.Verify(AuditHead.ReadLast(HeadsPath)!) })
        {
            Assert.False(verification.IsIntact);
            Assert.Equal(4, verification.FirstBrokenId);
            Assert.Contains("not witnessed", verification.Problem);
        }
    }

    [Fact]
    public void RechainingThroughThePublicSink_IsFoundByTheAnchoredHead()
    {
        using AuditTestKit kit = AnchoredLog(10);
        kit.Sql("DELETE FROM sochdb_audit WHERE id >= 4");
        using (SqliteAuditSink forger = SqliteAuditSink.Open(kit.Path))
        {
            forger.Write(Enumerable.Range(4, 7)
                .Select(i => new AuditEntry(i, DateTimeOffset.UnixEpoch, PolicyOperation.Read, "innocent"u8.ToArray(), AuditResult.Allowed, null, null, null, null))
                .ToList());
        }

        Assert.True(kit.Sink.Verify().IsIntact, "a re-chained log verifies on its own");
        AuditVerification verification = kit.Sink.Verify(AuditHead.ReadLast(HeadsPath)!);
        Assert.Equal(10, verification.FirstBrokenId);
        Assert.Contains("anchored head", verification.Problem);
    }

    [Fact]
    public void EntriesAfterTheAnchoredHead_AreCheckedAsUsual()
    {
        using AuditTestKit kit = AnchoredLog(5);
        AuditHead head = AuditHead.ReadLast(HeadsPath)!;
        kit.Sink.Dispose(); // closed cleanly: the next writer has nothing to report
        kit.Sink = SqliteAuditSink.Open(kit.Path);
        using (SqliteAuditSink later = SqliteAuditSink.Open(kit.Path))
        {
            later.Write([new AuditEntry(0, DateTimeOffset.UnixEpoch, PolicyOperation.Read, "k"u8.ToArray(), AuditResult.Allowed, null, null, null, null)]);
        }

        Assert.True(kit.Sink.Verify(head).IsIntact);
        Assert.Equal(6, kit.Sink.Verify(head).HeadId);
    }

    [Fact]
    public void TheHeadFileKeepsOnlyCompleteLines_AndNamesABadLine()
    {
        var anchor = IAuditAnchor.File(HeadsPath);
        var head = new AuditHead(7, new byte[32]);
        anchor.Publish(head);
        File.AppendAllText(HeadsPath, "#8 00"); // a line cut short by a crash
        Assert.Equal(head, AuditHead.ReadLast(HeadsPath));
        Assert.Equal(head, AuditHead.Parse(head.ToString()));

        File.AppendAllText(HeadsPath, "\n");
        var error = Assert.Throws<InvalidDataException>(() => AuditHead.ReadLast(HeadsPath));
        Assert.Contains("Line 2", error.Message);
    }

    /// <summary>A durable log of <paramref name="entries"/> entries whose head was published at disposal.</summary>
    private AuditTestKit AnchoredLog(int entries)
    {
        var anchor = IAuditAnchor.File(HeadsPath);
        var kit = new AuditTestKit(sink => new AuditOptions { Sinks = [sink], Anchor = anchor });
        for (int i = 0; i < entries; i++)
        {
            kit.Engine.Put("k" + i, "v");
        }

        kit.Engine.Dispose();
        Assert.Equal(entries, AuditHead.ReadLast(HeadsPath)!.Id);
        return kit;
    }

    private string[] Lines() => File.Exists(HeadsPath) ? File.ReadAllLines(HeadsPath) : [];
}
