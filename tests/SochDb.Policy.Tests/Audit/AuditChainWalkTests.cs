namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// Verifying the chain in bounded slices (the dashboard's verify button): each slice reads at most what it is given,
/// a walk goes on from the last entry it verified, a break after that point is found with its id, and a walk read to
/// the end says what <see cref="AuditLedger.Verify()"/> says.
/// </summary>
public sealed class AuditChainWalkTests
{
    private static void Fill(AuditTestKit kit, int count)
    {
        for (int i = 0; i < count; i++)
        {
            kit.Engine.Put("k" + i, "v");
        }

        kit.Engine.Audit.Flush();
    }

    [Fact]
    public void SlicesReadAtMostTheirSize_AndTheLastOneMatchesVerify()
    {
        using var kit = new AuditTestKit();
        Fill(kit, 1_000);
        AuditChainWalk walk = kit.Sink.StartWalk();
        var seen = new List<long>();
        AuditVerification? result = null;
        while (result is null)
        {
            long before = walk.Checked;
            result = kit.Sink.ContinueWalk(walk, 300);
            Assert.InRange(walk.Checked - before, 0, 300);
            seen.Add(walk.VerifiedThroughId);
        }

        Assert.Equal([300, 600, 900, 1_000], seen);
        AuditVerification whole = kit.Sink.Verify();
        Assert.True(result.IsIntact, result.ToString());
        Assert.Equal((whole.HeadId, whole.EntriesChecked, Convert.ToHexString(whole.HeadHash)), (result.HeadId, result.EntriesChecked, Convert.ToHexString(result.HeadHash)));
    }

    [Fact]
    public void ABreakAfterTheVerifiedPoint_IsFoundWithItsId_EditedOrDeleted()
    {
        using var kit = new AuditTestKit();
        Fill(kit, 600);
        AuditChainWalk walk = kit.Sink.StartWalk();
        Assert.Null(kit.Sink.ContinueWalk(walk, 250));
        Assert.Equal(250, walk.VerifiedThroughId);

        kit.Sql("UPDATE sochdb_audit SET agent_id = 'someone-else' WHERE id = 420");
        Assert.Null(kit.Sink.ContinueWalk(walk, 100));
        AuditVerification broken = kit.Sink.ContinueWalk(walk, 1_000)!;
        Assert.Equal(420, broken.FirstBrokenId);
        Assert.Contains("entry #420 does not match its hash", broken.Problem);
        Assert.Same(broken, kit.Sink.ContinueWalk(walk, 1_000));

        AuditChainWalk second = kit.Sink.StartWalk();
        kit.Sql("UPDATE sochdb_audit SET agent_id = NULL WHERE id = 420");
        Assert.Null(kit.Sink.ContinueWalk(second, 500));
        kit.Sql("DELETE FROM sochdb_audit WHERE id = 550");
        Assert.Equal((550L, "entry #550 is missing (the log goes from #549 to #551)"), (kit.Sink.ContinueWalk(second, 1_000)!.FirstBrokenId, kit.Sink.ContinueWalk(second, 1)!.Problem));
    }

    [Fact]
    public void AWalkThatReachedTheHead_GoesOnWithTheEntriesAppendedSince()
    {
        using var kit = new AuditTestKit();
        Fill(kit, 100);
        AuditChainWalk walk = kit.Sink.StartWalk();
        Assert.Equal(100, kit.Sink.ContinueWalk(walk, 1_000)!.HeadId);

        Fill(kit, 50);
        long checkedBefore = walk.Checked;
        AuditVerification later = kit.Sink.ContinueWalk(walk, 1_000)!;

        Assert.True(later.IsIntact, later.ToString());
        Assert.Equal(150, later.HeadId);
        Assert.Equal(50, walk.Checked - checkedBefore);
    }

    [Fact]
    public void AnAnchoredWalk_ReportsAnEditBeforeTheAnchor_AndALogCutShort()
    {
        using var kit = new AuditTestKit();
        Fill(kit, 200);
        AuditHead head = kit.Sink.Verify().Head;

        kit.Sql("UPDATE sochdb_audit SET agent_id = 'x' WHERE id = 3");
        Assert.Equal(3, kit.Sink.ContinueWalk(kit.Sink.StartWalk(head), 1_000)!.FirstBrokenId);
        kit.Sql("UPDATE sochdb_audit SET agent_id = NULL WHERE id = 3");
        kit.Sql("DELETE FROM sochdb_audit WHERE id > 150");
        AuditVerification cut = kit.Sink.ContinueWalk(kit.Sink.StartWalk(head), 1_000)!;
        Assert.Equal(151, cut.FirstBrokenId);
        Assert.Contains("entries #151 to #200 were removed", cut.Problem);
    }

    [Fact]
    public void RetentionMovingTheCheckpointDuringAWalk_ItGoesOnFromTheNewCheckpoint_StillWitnessed()
    {
        using var kit = new AuditTestKit(sinkOptions: new SqliteAuditSinkOptions { Durability = Durability.Normal, MaxEntries = 100 });
        Fill(kit, 300);
        kit.Sink.Prune();
        AuditChainWalk walk = kit.Sink.StartWalk();
        long firstCheckpoint = walk.CheckpointId;
        Assert.Null(kit.Sink.ContinueWalk(walk, 30));

        Fill(kit, 300);
        kit.Sink.Prune();
        AuditVerification result = kit.Sink.ContinueWalk(walk, 10_000)!;

        Assert.True(result.IsIntact, result.ToString());
        Assert.True(walk.CheckpointId > firstCheckpoint);
        Assert.Equal(kit.Sink.Verify().HeadId, result.HeadId);
    }
}
