namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// Regression: a durable sink that committed a batch and then threw (a lost reply, an error while finishing) got the
/// batch again from the writer's retry and appended it a second time, so the log showed every entry of it twice.
/// </summary>
public sealed class AuditUncertainCommitTests
{
    [Fact]
    public void ABatchCommittedBeforeTheSinkThrew_IsNotAppendedAgainOnRetry()
    {
        var ledger = new MemoryLedger { CommitThenThrow = 1 };
        using (var engine = new PolicyEngine(Database.OpenInMemory()))
        {
            engine.Audit.Enable(new AuditOptions { Sinks = [ledger], RingSize = 0, SinkFailure = FailureMode.FailOpen });
            for (int i = 0; i < 5; i++)
            {
                engine.Put("k" + i, "v");
            }

            FlushThroughOneFailure(engine);
            Assert.Equal(0, ledger.CommitThenThrow); // the first append committed, then threw
            Assert.Equal(1, engine.Audit.Status.SinkFailures);
            Assert.Equal(5, engine.Audit.Status.Written);
        }

        List<AuditEntry> records = ledger.Query(new AuditQuery { OldestFirst = true }).ToList();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "k" + i), records.Select(r => r.Key));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), records.Select(r => r.Sequence));
        Assert.True(ledger.Verify().IsIntact);
    }

    [Fact]
    public void ABatchThatWasNotCommitted_IsAppendedOnRetry_Once()
    {
        var ledger = new MemoryLedger { ThrowBeforeCommit = 2 };
        var entries = Enumerable.Range(0, 3)
            .Select(i => new AuditEntry(0, DateTimeOffset.UnixEpoch.AddSeconds(i), PolicyOperation.Write, new[] { (byte)('a' + i) }, AuditResult.Allowed, null, null, null, null))
            .ToList();

        Assert.Throws<IOException>(() => ledger.Write(entries));
        Assert.Throws<IOException>(() => ledger.Write(entries));
        ledger.Write(entries);

        Assert.Equal(new long[] { 1, 2, 3 }, ledger.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Sequence));
        Assert.True(ledger.Verify().IsIntact);
    }

    [Fact]
    public void AnotherBatchAfterAnUncertainOne_IsStillAppended()
    {
        var ledger = new MemoryLedger { CommitThenThrow = 1 };
        var first = new List<AuditEntry> { Entry("a") };
        var second = new List<AuditEntry> { Entry("b") };

        Assert.Throws<IOException>(() => ledger.Write(first)); // committed, then threw
        ledger.Write(second);                                   // not the uncertain batch: appended

        Assert.Equal(new[] { "a", "b" }, ledger.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Key));
        Assert.True(ledger.Verify().IsIntact);
    }

    // A flush that overlaps the failure reports it (the batch stays queued and is retried); the next one sees the retry.
    private static void FlushThroughOneFailure(PolicyEngine engine)
    {
        try
        {
            engine.Audit.Flush();
        }
        catch (IOException e)
        {
            Assert.Contains("the connection dropped after the commit", e.InnerException!.Message); // the sink's own exception
            engine.Audit.Flush();
        }
    }

    private static AuditEntry Entry(string key) =>
        new(0, DateTimeOffset.UnixEpoch, PolicyOperation.Write, System.Text.Encoding.UTF8.GetBytes(key), AuditResult.Allowed, null, null, null, null);

    /// <summary>A ledger in memory whose appends can be made to fail before or after committing.</summary>
    private sealed class MemoryLedger : AuditLedger
    {
        private readonly List<AuditRecord> _rows = new();

        public MemoryLedger()
            : base("memory", retention: null)
        {
        }

        public int CommitThenThrow { get; set; }

        public int ThrowBeforeCommit { get; set; }

        public int Appends { get; private set; }

        private protected override AuditRecord? ReadLastRecord()
        {
            lock (_rows)
            {
                return _rows.Count == 0 ? null : _rows[^1];
            }
        }

        private protected override AuditCheckpoint? ReadCheckpoint() => null;

        private protected override void AppendRecords(IReadOnlyList<AuditRecord> records)
        {
            Appends++;
            if (ThrowBeforeCommit > 0)
            {
                ThrowBeforeCommit--;
                throw new IOException("the disk is full (nothing was written)");
            }

            lock (_rows)
            {
                _rows.AddRange(records);
            }

            if (CommitThenThrow > 0)
            {
                CommitThenThrow--;
                throw new IOException("the connection dropped after the commit");
            }
        }

        private protected override IReadOnlyList<AuditRecord> ReadRecords(AuditQuery query)
        {
            lock (_rows)
            {
                IEnumerable<AuditRecord> rows = query.OldestFirst ? _rows : Enumerable.Reverse(_rows);
                if (query.After is { } after)
                {
                    rows = rows.Where(r => query.OldestFirst ? r.Id > after : r.Id < after);
                }

                return rows.Take(query.PageSize).ToList();
            }
        }

        private protected override long? FindLastIdBefore(DateTimeOffset time) => null;

        private protected override void RemoveThrough(long lastId, AuditCheckpoint checkpoint) => throw new NotSupportedException();
    }
}
