namespace SochDb.Policy.Tests.Audit;

/// <summary>Retention prunes from the oldest end and leaves a checkpoint, so what is left still verifies.</summary>
public sealed class AuditRetentionTests
{
    [Fact]
    public void MaxEntries_KeepsTheNewest_AndTheRestVerifiesFromTheCheckpoint()
    {
        using var kit = new AuditTestKit(sinkOptions: new SqliteAuditSinkOptions { Durability = Durability.Normal, MaxEntries = 100 });
        // Fewer entries than retention's automatic period (1,024), so only this Prune() runs: an automatic one after the
        // last batch would put its own witness among the newest entries (as it did about one run in fifty).
        for (int i = 0; i < 1_000; i++)
        {
            kit.Engine.Put("k" + i, "v");
        }

        kit.Engine.Audit.Flush();
        kit.Sink.Prune();
        List<AuditEntry> records = kit.Records();

        // The newest 100 entries, then the entry retention appended to witness its checkpoint.
        Assert.Equal(101, records.Count);
        Assert.Equal(Enumerable.Range(900, 100).Select(i => "k" + i), records.Take(100).Select(r => r.Key));
        Assert.Equal(Enumerable.Range(0, 101).Select(i => records[0].Sequence + i), records.Select(r => r.Sequence));
        AuditEntry witness = records[^1];
        Assert.Equal((AuditResult.EntriesRemoved, "retention"), (witness.Result, witness.Rule));
        AuditVerification verification = kit.Sink.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        Assert.Equal(records[0].Sequence - 1, verification.CheckpointId);
        Assert.Contains($"entries up to #{verification.CheckpointId} were removed by retention", witness.Reason);
        Assert.Equal(101, verification.EntriesChecked);

        // Deleting the first entry after the checkpoint is still caught.
        kit.Sql($"DELETE FROM sochdb_audit WHERE id = {records[0].Sequence}");
        Assert.Equal(records[0].Sequence, kit.Sink.Verify().FirstBrokenId);
    }

    [Fact]
    public void MaxAge_RemovesEntriesOlderThanTheNewestByMoreThanTheAge()
    {
        using var kit = new AuditTestKit(sinkOptions: new SqliteAuditSinkOptions { Durability = Durability.Normal, MaxAge = TimeSpan.FromHours(1) });
        for (int i = 0; i < 10; i++)
        {
            kit.Engine.Put("old" + i, "v");
            kit.Time.Advance(TimeSpan.FromMinutes(1));
        }

        kit.Time.Advance(TimeSpan.FromHours(2));
        for (int i = 0; i < 5; i++)
        {
            kit.Engine.Put("new" + i, "v");
        }

        kit.Engine.Audit.Flush();
        Assert.Equal(10, kit.Sink.Prune());

        List<AuditEntry> records = kit.Records();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "new" + i), records.Where(r => r.Result != AuditResult.EntriesRemoved).Select(r => r.Key));
        Assert.True(kit.Sink.Verify().IsIntact);

        // The chain continues across the pruning and a reopen.
        kit.Engine.Audit.Disable();
        kit.Sink.Dispose();
        kit.Sink = SqliteAuditSink.Open(kit.Path);
        kit.Engine.Audit.Enable(new AuditOptions { Sinks = [kit.Sink] });
        kit.Engine.Put("later", "v");
        AuditVerification verification = kit.Engine.Audit.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        Assert.Equal(7, verification.EntriesChecked); // 5 new, the retention witness, "later"
        Assert.Equal(17, verification.HeadId);
    }

    [Fact]
    public void RetentionLimitsMustBePositive()
    {
        using var directory = new Storage.TestDirectory();
        var count = Assert.Throws<ArgumentOutOfRangeException>(() => SqliteAuditSink.Open(directory.File("a.db"), new SqliteAuditSinkOptions { MaxEntries = 0 }));
        Assert.Equal("MaxEntries", count.ParamName);
        Assert.Contains("SqliteAuditSinkOptions.MaxEntries must be positive", count.Message, StringComparison.Ordinal);
        var age = Assert.Throws<ArgumentOutOfRangeException>(() => SqliteAuditSink.Open(directory.File("a.db"), new SqliteAuditSinkOptions { MaxAge = TimeSpan.Zero }));
        Assert.Equal("MaxAge", age.ParamName);
        Assert.Contains("SqliteAuditSinkOptions.MaxAge must be positive", age.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(directory.File("a.db")), "a refused option must not create the file");
    }
}
