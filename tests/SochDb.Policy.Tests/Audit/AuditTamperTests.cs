namespace SochDb.Policy.Tests.Audit;

/// <summary>Tamper evidence: an edited, deleted or swapped row is reported at the right entry.</summary>
public sealed class AuditTamperTests
{
    private static AuditTestKit TwentyEntries()
    {
        var kit = new AuditTestKit();
        for (int i = 1; i <= 20; i++)
        {
            kit.Engine.Put("k" + i, "v", new PolicyContext { AgentId = "a" + (i % 3) });
            kit.Time.Advance(TimeSpan.FromSeconds(1));
        }

        kit.Engine.Audit.Flush();
        Assert.True(kit.Engine.Audit.Verify().IsIntact);
        return kit;
    }

    [Fact]
    public void AnEditedRowIsReportedAtThatEntry()
    {
        using AuditTestKit kit = TwentyEntries();
        kit.Sql("UPDATE sochdb_audit SET result = 'denied' WHERE id = 7");

        AuditVerification verification = kit.Engine.Audit.Verify();

        Assert.False(verification.IsIntact);
        Assert.Equal(7, verification.FirstBrokenId);
        Assert.Contains("#7", verification.Problem);
        Assert.Equal(6, verification.HeadId);
    }

    [Fact]
    public void AnEditedAgentOrTimestampIsReportedToo()
    {
        using AuditTestKit kit = TwentyEntries();
        kit.Sql("UPDATE sochdb_audit SET ts = ts + 1 WHERE id = 12");
        Assert.Equal(12, kit.Engine.Audit.Verify().FirstBrokenId);
        kit.Sql("UPDATE sochdb_audit SET ts = ts - 1 WHERE id = 12");
        Assert.True(kit.Engine.Audit.Verify().IsIntact);
        kit.Sql("UPDATE sochdb_audit SET agent_id = 'someone-else' WHERE id = 3");
        Assert.Equal(3, kit.Engine.Audit.Verify().FirstBrokenId);
    }

    [Fact]
    public void ADeletedRowIsReportedAtTheMissingEntry()
    {
        using AuditTestKit kit = TwentyEntries();
        kit.Sql("DELETE FROM sochdb_audit WHERE id = 9");

        AuditVerification verification = kit.Engine.Audit.Verify();

        Assert.Equal(9, verification.FirstBrokenId);
        Assert.Contains("entry #9 is missing", verification.Problem);
    }

    [Fact]
    public void DeletingTheFirstRowIsReported()
    {
        using AuditTestKit kit = TwentyEntries();
        kit.Sql("DELETE FROM sochdb_audit WHERE id = 1");
        Assert.Equal(1, kit.Engine.Audit.Verify().FirstBrokenId);
    }

    [Fact]
    public void TwoSwappedRowsAreReportedAtTheFirstOfThem()
    {
        using AuditTestKit kit = TwentyEntries();
        // Swap the whole contents of rows 5 and 14 (hashes included), keeping the ids in place.
        kit.Sql("UPDATE sochdb_audit SET id = -5 WHERE id = 5");
        kit.Sql("UPDATE sochdb_audit SET id = 5 WHERE id = 14");
        kit.Sql("UPDATE sochdb_audit SET id = 14 WHERE id = -5");

        AuditVerification verification = kit.Engine.Audit.Verify();

        Assert.Equal(5, verification.FirstBrokenId);
    }

    [Fact]
    public void ARehashedEditStillBreaksAtTheNextEntry()
    {
        using AuditTestKit kit = TwentyEntries();
        // An attacker who edits row 10 and stores a new hash for it (without the chain's later links) is caught at 11.
        AuditEntry ten = kit.Records().Single(r => r.Sequence == 10);
        kit.Sql("UPDATE sochdb_audit SET hash = @h WHERE id = 10", ("@h", new byte[32]));
        Assert.Equal(10, kit.Engine.Audit.Verify().FirstBrokenId);
        kit.Sql("UPDATE sochdb_audit SET hash = @h WHERE id = 10", ("@h", ten.Hash!));
        Assert.True(kit.Engine.Audit.Verify().IsIntact);
    }
}
