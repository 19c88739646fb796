using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// <see cref="AuditDurability.WithWrite"/> through the engine: the entry of each Put, Delete and batch is in the durable
/// log when the call returns (written in the data's transaction, not by the background writer), exactly once; reads,
/// refusals and failures still go through the queue; a failed write has no entry of its own; enabling it where the store
/// and the log are not one database is refused.
/// </summary>
public sealed class AuditWithWriteTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task WritesAreInTheLogWhenTheCallReturns_WhileTheQueueIsStuck_AndEverySinkGetsThemOnce()
    {
        using SharedFile shared = OpenShared();
        (SqliteDatabase store, SqliteAuditSink log) = (shared.Store, shared.Log);
        var stuck = new ControllableSink("exporter", durable: false);
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [stuck, log], Durability = AuditDurability.WithWrite });
        stuck.Open.Reset(); // the background writer blocks in the first sink: nothing reaches the log through the queue

        engine.Put("a", "1");
        await engine.PutAsync("b"u8.ToArray(), "2"u8.ToArray());
        Assert.True(engine.Delete("a"));
        Assert.True(await engine.DeleteAsync("b"u8.ToArray()));
        var batch = new WriteBatch();
        batch.Put("c", "3");
        batch.Delete("zz");
        engine.Write(batch);
        var batch2 = new WriteBatch();
        batch2.Put("d", "4");
        await engine.WriteAsync(batch2);
        Assert.Equal("3"u8.ToArray(), engine.Get("c"));

        Assert.Equal(["write a", "write b", "delete a", "delete b", "write c", "delete zz", "write d"], Logged(log));
        AuditVerification early = log.Verify();
        Assert.True(early.IsIntact, early.ToString());

        stuck.Open.Set();
        engine.Audit.Flush();
        Assert.Equal(["write a", "write b", "delete a", "delete b", "write c", "delete zz", "write d", "read c"], Logged(log));
        Assert.Equal(Logged(log), stuck.Entries.Select(Describe));
        Assert.Equal(Logged(log), engine.Audit.Recent(100).Select(Describe));
        AuditVerification verification = engine.Audit.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        Assert.Equal(8, verification.HeadId);
    }

    [Fact]
    public void ReadsAndRefusals_StillGoThroughTheQueue()
    {
        using SharedFile shared = OpenShared();
        (SqliteDatabase store, SqliteAuditSink log) = (shared.Store, shared.Log);
        var stuck = new ControllableSink("exporter", durable: false);
        using var engine = new PolicyEngine(store);
        engine.BeforeWrite("system/*", Policies.DenyAll, name: "no-system");
        engine.Audit.Enable(new AuditOptions { Sinks = [stuck, log], Durability = AuditDurability.WithWrite });
        stuck.Open.Reset();

        engine.Put("k", "v");
        Assert.Equal("v"u8.ToArray(), engine.Get("k"));
        Assert.Throws<PolicyViolationException>(() => engine.Put("system/x", "v"));
        var refused = new WriteBatch();
        refused.Put("ok", "1");
        refused.Put("system/y", "2");
        Assert.Throws<PolicyViolationException>(() => engine.Write(refused));
        Assert.Equal(["write k"], Logged(log));

        stuck.Open.Set();
        engine.Audit.Flush();
        Assert.Equal(["write k", "read k", "write system/x", "write system/y"], Logged(log));
        Assert.Equal([AuditResult.Allowed, AuditResult.Allowed, AuditResult.Denied, AuditResult.Denied],
            log.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Result));
        Assert.Null(store.Get("ok"));
        Assert.True(engine.Audit.Verify().IsIntact);
    }

    [Fact]
    public void EntriesWrittenWithTheirData_SkipTheQueue_UnlessAnotherSinkOrAnAnchorNeedsThem()
    {
        using SharedFile shared = OpenShared();
        (SqliteDatabase store, SqliteAuditSink log) = (shared.Store, shared.Log);
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [log], Durability = AuditDurability.WithWrite });
        engine.Put("a", "1");
        engine.Delete("a");
        _ = engine.Get("a");
        engine.Audit.Flush();
        Assert.Equal(1, engine.Audit.Status.Enqueued); // only the read
        Assert.Equal(3, log.Query(new AuditQuery()).Count());

        var other = new ControllableSink(durable: false);
        engine.Audit.Enable(new AuditOptions { Sinks = [log, other], Durability = AuditDurability.WithWrite });
        engine.Put("b", "1");
        engine.Audit.Flush();
        Assert.Equal(1, engine.Audit.Status.Enqueued);
        Assert.Equal(["b"], other.Entries.Select(e => e.Key));

        engine.Audit.Enable(new AuditOptions { Sinks = [log], Durability = AuditDurability.WithWrite, Anchor = IAuditAnchor.File(_directory.File("heads.txt")) });
        engine.Put("c", "1");
        engine.Audit.Flush();
        Assert.Equal(1, engine.Audit.Status.Enqueued);
        Assert.Equal(5, log.Query(new AuditQuery()).Count());
        Assert.True(engine.Audit.Verify().IsIntact);
    }

    [Fact]
    public void AFailedWrite_HasNoEntryOfItsOwn_OnlyTheFailureThroughTheQueue()
    {
        using SharedFile shared = OpenShared();
        (SqliteDatabase store, SqliteAuditSink log) = (shared.Store, shared.Log);
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [log], Durability = AuditDurability.WithWrite });
        SqliteFaults.FailWritesOf(store, "bad"u8.ToArray());

        Assert.ThrowsAny<IOException>(() => engine.Put("bad", "v"));
        var batch = new WriteBatch();
        batch.Put("good", "1");
        batch.Put("bad", "2");
        Assert.ThrowsAny<IOException>(() => engine.Write(batch));
        engine.Put("after", "v");

        // The committed write's entry is in the log at once; the failures travel through the queue (they may or may
        // not have been written yet), and no entry of the failed writes says they were allowed.
        List<AuditEntry> records = log.Query(new AuditQuery { OldestFirst = true }).ToList();
        Assert.Single(records, r => r.Key == "after" && r.Result == AuditResult.Allowed);
        Assert.All(records.Where(r => r.Key != "after"), r => Assert.Equal(AuditResult.Failed, r.Result));
        engine.Audit.Flush();
        records = log.Query(new AuditQuery { OldestFirst = true }).ToList();
        Assert.Equal(3, records.Count);
        Assert.Single(records, r => r.Key == "after" && r.Result == AuditResult.Allowed);
        // The put and the batch (recorded under its first item) are failures; neither has an allowed entry.
        Assert.Equal(["bad", "good"], records.Where(r => r.Result == AuditResult.Failed).Select(r => r.Key).Order());
        Assert.DoesNotContain(records, r => r.Key != "after" && r.Result == AuditResult.Allowed);
        Assert.Null(store.Get("good"));
        Assert.True(engine.Audit.Verify().IsIntact);
    }

    [Fact]
    public void ConcurrentWritersAndReaders_OneEntryPerOperation_AndTheChainVerifies()
    {
        using SharedFile shared = OpenShared();
        (SqliteDatabase store, SqliteAuditSink log) = (shared.Store, shared.Log);
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [log], Durability = AuditDurability.WithWrite, MaxBatchDelay = TimeSpan.Zero });
        const int Threads = 4;
        const int PerThread = 150;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        Thread[] threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                for (int i = 0; i < PerThread; i++)
                {
                    engine.Put($"t{t}/{i}", "v");
                    engine.Get($"t{t}/{i}");
                    if (i % 10 == 0)
                    {
                        engine.Delete($"t{t}/{i}");
                    }
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        }) { Name = $"writer {t}" }).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        Waits.Join(threads);
        Assert.Empty(errors);
        engine.Audit.Flush();
        List<AuditEntry> records = log.Query(new AuditQuery { OldestFirst = true }).ToList();
        Assert.Equal(Threads * PerThread * 2 + (Threads * PerThread / 10), records.Count);
        Assert.Equal(Threads * PerThread, records.Count(r => r.Operation == PolicyOperation.Write));
        Assert.Equal(Threads * PerThread, records.Where(e => e.Operation == PolicyOperation.Write).Select(e => e.Key).Distinct().Count());
        AuditVerification verification = engine.Audit.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
    }

    [Fact]
    public void AnAfterWriteHandlerThatThrows_TheCommittedWriteKeepsItsEntry_AndTheFailureIsRecordedToo()
    {
        using SharedFile shared = OpenShared();
        (SqliteDatabase store, SqliteAuditSink log) = (shared.Store, shared.Log);
        using var engine = new PolicyEngine(store);
        engine.AfterWrite("watched/*", (in PolicyRequest _) => throw new InvalidOperationException("observer broke"), name: "observer");
        engine.Audit.Enable(new AuditOptions { Sinks = [log], Durability = AuditDurability.WithWrite });

        Assert.Throws<PolicyHandlerException>(() => engine.Put("watched/a", "v"));

        Assert.Equal("v"u8.ToArray(), engine.Get("watched/a"));
        engine.Audit.Flush();
        Assert.Equal([AuditResult.Allowed, AuditResult.Failed, AuditResult.Allowed],
            log.Query(new AuditQuery { OldestFirst = true }).Select(r => r.Result));
    }

    [Fact]
    public void Enabling_IsRefused_WhenTheStoreAndTheLogAreNotOneDatabase()
    {
        using Database fileStore = Database.Open(_directory.File("data.db"));
        using SqliteAuditSink elsewhere = SqliteAuditSink.Open(_directory.File("log.db"));
        using var engine = new PolicyEngine(fileStore);
        var error = Assert.Throws<InvalidOperationException>(() =>
            engine.Audit.Enable(new AuditOptions { Sinks = [elsewhere], Durability = AuditDurability.WithWrite }));
        Assert.Contains("not in the engine's store's database", error.Message);
        Assert.Contains(elsewhere.Name, error.Message);
        Assert.False(engine.Audit.IsEnabled);

        using Database memory = Database.OpenInMemory();
        using var memoryEngine = new PolicyEngine(memory);
        error = Assert.Throws<InvalidOperationException>(() =>
            memoryEngine.Audit.Enable(new AuditOptions { Sinks = [elsewhere], Durability = AuditDurability.WithWrite }));
        Assert.Contains("cannot write decision entries in its own transactions", error.Message);

        var noLedger = Assert.Throws<ArgumentException>(() =>
            engine.Audit.Enable(new AuditOptions { Sinks = [new ControllableSink(durable: false)], Durability = AuditDurability.WithWrite }));
        Assert.Equal("Durability", noLedger.ParamName);

        // The first ledger is the one written with the data: a log on the store's file placed second is not used.
        using SqliteAuditSink onStore = SqliteAuditSink.Open(_directory.File("data.db"));
        Assert.Throws<InvalidOperationException>(() =>
            engine.Audit.Enable(new AuditOptions { Sinks = [elsewhere, onStore], Durability = AuditDurability.WithWrite }));
        engine.Audit.Enable(new AuditOptions { Sinks = [onStore, elsewhere], Durability = AuditDurability.WithWrite });
        engine.Put("k", "v");
        engine.Audit.Flush();
        Assert.Equal(["write k"], Logged(onStore));
        Assert.Equal(["write k"], Logged(elsewhere));
    }

    [Fact]
    public void QueuedIsTheDefault()
    {
        Assert.Equal(AuditDurability.Queued, new AuditOptions().Durability);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuditOptions { Durability = (AuditDurability)7, RingSize = 10 }.Validate());
    }

    /// <summary>A store and its decision log in one SQLite file (what WithWrite needs), both without an fsync per commit.</summary>
    private SharedFile OpenShared()
    {
        string path = _directory.File("shared.db");
        var store = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        return new SharedFile(store, SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { Durability = Durability.Normal }));
    }

    private sealed record SharedFile(SqliteDatabase Store, SqliteAuditSink Log) : IDisposable
    {
        public void Dispose()
        {
            Log.Dispose();
            Store.Dispose();
        }
    }

    private static List<string> Logged(AuditLedger log) =>
        log.Query(new AuditQuery { OldestFirst = true }).Select(Describe).ToList();

    private static string Describe(AuditEntry entry) => $"{AuditNames.Of(entry.Operation)} {entry.Key}";
}
