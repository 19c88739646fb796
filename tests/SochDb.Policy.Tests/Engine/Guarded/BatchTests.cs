using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>PolicyEngine.Write(WriteBatch): all or nothing, one test per rule.</summary>
public sealed class BatchTests
{
    private static WriteBatch ThreePuts() => new WriteBatch().Put("docs/a", "1").Put("docs/b", "2").Put("docs/c", "3");

    [Fact]
    public void Batch_AppliesEveryItemInOneStoreTransaction()
    {
        using var kit = new GuardedKit();
        kit.Store.Inner.Put("docs/old", "x");

        kit.Engine.Write(new WriteBatch().Put("docs/a", "1").Delete("docs/old").Put("docs/b", "2"), Agent("a1"));

        Assert.Equal(new[] { "docs/a=1", "docs/b=2" }, kit.Snapshot());
        Assert.Equal(1, kit.Store.Calls); // one Write call: one transaction, not three operations
    }

    [Fact]
    public void Batch_TakesOneTokenPerItemFromEveryLimit_AllOrNone()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 5, "agent_id");
        kit.Engine.AddRateLimit(PolicyOperation.All, 100, "agent_id");
        var agent = Agent("a1");

        kit.Engine.Write(ThreePuts(), agent);                   // 3 of 5 write tokens, 3 of 100 all tokens
        var refused = Refusals.RateLimited(() => kit.Engine.Write(ThreePuts(), agent)); // needs 3, 2 left

        Assert.Equal(PolicyOperation.Write, refused.RateLimit!.Operation);
        Assert.True(refused.RetryAfter > TimeSpan.Zero);
        // The refused batch took nothing: the two write tokens left still admit two single writes, and the All limit
        // lost nothing either (97 left, so 2 more writes pass it).
        kit.Engine.Put("docs/x", "1", agent);
        kit.Engine.Put("docs/y", "1", agent);
        Refusals.RateLimited(() => kit.Engine.Put("docs/z", "1", agent));
        Assert.Null(kit.Stored("docs/z"));
    }

    [Fact]
    public void Batch_DeletesTakeDeleteTokens_AndAllLimitsCountEveryItem()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.Delete, 1, "agent_id");
        kit.Engine.AddRateLimit(PolicyOperation.All, 3, "agent_id");
        var agent = Agent("a1");

        Refusals.RateLimited(() =>
            kit.Engine.Write(new WriteBatch().Delete("a").Delete("b"), agent)); // 2 deletes, 1 delete token
        kit.Engine.Write(new WriteBatch().Put("a", "1").Put("b", "1").Delete("a"), agent); // 1 delete + 3 of All
        var refused = Refusals.RateLimited(() => kit.Engine.Put("c", "1", agent));

        Assert.Equal(PolicyOperation.All, refused.RateLimit!.Operation);
    }

    [Fact]
    public void Batch_LargerThanALimitsCapacity_IsRefusedAndSaysItCanNeverBeAdmitted()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 2);

        var refused = Refusals.RateLimited(() => kit.Engine.Write(ThreePuts()));

        Assert.Equal(TimeSpan.MaxValue, refused.RetryAfter);
        Assert.Empty(kit.Snapshot());
    }

    [Fact]
    public void Batch_EveryItemRunsItsBeforeHandlers_AndAModifyAppliesToThatItemOnly()
    {
        using var kit = new GuardedKit();
        var seen = new List<string>();
        kit.Engine.BeforeWrite("docs/*", (in PolicyRequest r) =>
        {
            seen.Add("W " + r.KeyText);
            return r.KeyText == "docs/b" ? PolicyDecision.Modify(Bytes("B!")) : PolicyDecision.Allow;
        });
        kit.Engine.BeforeDelete("docs/*", (in PolicyRequest r) =>
        {
            seen.Add("D " + r.KeyText);
            return PolicyAction.Allow;
        });

        kit.Engine.Write(new WriteBatch().Put("docs/a", "1").Put("docs/b", "2").Delete("docs/c"));

        Assert.Equal(new[] { "W docs/a", "W docs/b", "D docs/c" }, seen);
        Assert.Equal(new[] { "docs/a=1", "docs/b=B!" }, kit.Snapshot());
        Assert.Equal(new[] { AuditResult.Allowed, AuditResult.Modified, AuditResult.Allowed }, kit.Audit().Select(e => e.Result));
    }

    [Fact]
    public void Batch_OneDenialRefusesTheWholeBatch_NamingTheItem_AndNothingIsWritten()
    {
        using var kit = new GuardedKit();
        kit.Store.Inner.Put("docs/keep", "old");
        kit.Engine.BeforeDelete("docs/keep", Policies.DenyAll);
        var batch = new WriteBatch().Put("docs/a", "1").Put("docs/b", "2").Delete("docs/keep").Put("docs/c", "3");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Write(batch, Agent("a1")));

        Assert.Equal(2, refused.BatchItemIndex);
        Assert.Equal("docs/keep", refused.Key);
        Assert.Equal(PolicyTrigger.BeforeDelete, refused.Trigger);
        Assert.Contains("item 2 of 4", refused.Message);
        Assert.Contains("Nothing of the batch was written", refused.Message);
        Assert.Equal(new[] { "docs/keep=old" }, kit.Snapshot());
        Assert.Equal(0, kit.Store.Calls);
    }

    [Fact]
    public void Batch_RefusedBatch_AuditSaysWhichItemRefusedAndThatNothingWasWritten()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("docs/b", (in PolicyRequest _) => PolicyDecision.Deny("b is frozen"), "Guards.Frozen");

        Assert.Throws<PolicyViolationException>(() => kit.Engine.Write(ThreePuts(), Agent("a1")));

        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Denied, entry.Result);
        Assert.Equal("docs/b", entry.Key);
        Assert.Contains("Guards.Frozen", entry.Rule);
        Assert.Contains("batch item 1 of 3", entry.Reason);
        Assert.Contains("b is frozen", entry.Reason);
        Assert.Contains("nothing was written", entry.Reason);
    }

    [Fact]
    public void Batch_AFailingHandlerRefusesTheBatch_FailClosed_WithTheHandlersException()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("docs/c", (in PolicyRequest _) => throw new InvalidOperationException("validator crashed"));

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Write(ThreePuts()));

        Assert.Equal(2, refused.BatchItemIndex);
        Assert.IsType<InvalidOperationException>(refused.InnerException);
        Assert.Empty(kit.Snapshot());
        Assert.Equal(AuditResult.Failed, Assert.Single(kit.Audit()).Result);
    }

    [Fact]
    public void Batch_AStoreFailureOnTheLastItem_RollsBackEverything_AuditedFailed_AndTheStoresExceptionReachesTheCaller()
    {
        using var kit = new GuardedKit();
        kit.Store.Inner.Put("docs/a", "old");
        kit.Store.FailBatchAtKey = "docs/c";

        var failure = Assert.Throws<IOException>(() => kit.Engine.Write(ThreePuts(), Agent("a1")));

        Assert.Contains("disk full", failure.Message);
        Assert.Equal(new[] { "docs/a=old" }, kit.Snapshot());
        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Failed, entry.Result);
        Assert.Contains("IOException", entry.Reason);
        Assert.Contains("nothing was written", entry.Reason);
    }

    [Fact]
    public void Batch_AfterHandlersRunPerItem_AfterTheBatchIsDurable()
    {
        using var kit = new GuardedKit();
        var observed = new List<string>();
        kit.Engine.AfterWrite("docs/*", (in PolicyRequest r) => observed.Add($"W {r.KeyText} stored={kit.Stored(r.KeyText)}"));
        kit.Engine.AfterDelete("docs/*", (in PolicyRequest r) => observed.Add($"D {r.KeyText}"));

        kit.Engine.Write(new WriteBatch().Put("docs/a", "1").Delete("docs/x").Put("docs/b", "2"));

        Assert.Equal(new[] { "W docs/a stored=1", "D docs/x", "W docs/b stored=2" }, observed);
    }

    [Fact]
    public void Batch_AnAfterHandlerThatThrows_ReportsTheBatchAsCommitted_AndTheOtherItemsStillRun()
    {
        using var kit = new GuardedKit();
        var observed = new List<string>();
        kit.Engine.AfterWrite("docs/*", (in PolicyRequest r) =>
        {
            observed.Add(r.KeyText);
            if (r.KeyText == "docs/a")
            {
                throw new InvalidOperationException("notifier down");
            }
        });

        var failure = Assert.Throws<PolicyHandlerException>(() => kit.Engine.Write(ThreePuts()));

        Assert.True(failure.Committed);
        Assert.Equal(new[] { "docs/a", "docs/b", "docs/c" }, observed);
        Assert.Equal(new[] { "docs/a=1", "docs/b=2", "docs/c=3" }, kit.Snapshot());
        Assert.Equal(new[] { AuditResult.Failed, AuditResult.Allowed, AuditResult.Allowed }, kit.Audit().Select(e => e.Result));
    }

    [Fact]
    public void Batch_TheEngineJudgesItsOwnCopy_ACallerChangingTheBatchAfterwardsChangesNothing()
    {
        using var kit = new GuardedKit();
        var batch = new WriteBatch().Put("docs/a", "1");
        kit.Engine.BeforeWrite("docs/*", (in PolicyRequest r) =>
        {
            // The caller's arrays are changed while the engine decides; the engine must write what it judged.
            batch.Operations[0].Key[0] = (byte)'X';
            batch.Operations[0].Value![0] = (byte)'9';
            return PolicyAction.Allow;
        });

        kit.Engine.Write(batch);

        Assert.Equal(new[] { "docs/a=1" }, kit.Snapshot());
    }

    [Fact]
    public void Batch_NullOrEmpty_IsRefusedBeforeAnyTokenOrHandler()
    {
        using var kit = new GuardedKit();
        int calls = 0;
        kit.Engine.BeforeWrite("**", (in PolicyRequest _) => { calls++; return PolicyAction.Allow; });
        kit.Engine.AddRateLimit(PolicyOperation.Write, 1);

        Assert.Throws<ArgumentNullException>(() => kit.Engine.Write(null!));
        var empty = Assert.Throws<ArgumentException>(() => kit.Engine.Write(new WriteBatch()));

        Assert.Contains("empty", empty.Message);
        Assert.Equal(0, calls);
        Assert.Empty(kit.Audit());
        kit.Engine.Put("k", "v"); // the one token is still there
    }

    [Fact]
    public void Batch_AnInvalidKey_IsRefusedWhenAddedToTheBatch()
    {
        var batch = new WriteBatch();

        Assert.Throws<ArgumentException>(() => batch.Put(ReadOnlySpan<byte>.Empty, Bytes("v")));
        Assert.Throws<ArgumentException>(() => batch.Delete(new byte[IKeyValueStore.MaxKeyLength + 1]));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void Batch_OverSqlite_IsAllOrNothing_WhenTheDatabaseRefusesTheLastItem()
    {
        using var dir = new SochDb.Policy.Tests.Storage.TestDirectory();
        string path = Path.Combine(dir.Path, "batch.db");
        using (Database db = Database.Open(path))
        {
            db.Put("docs/a", "old");
        }

        // A trigger in the file makes SQLite itself abort the transaction at the last item.
        using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1";
            string table = (string)command.ExecuteScalar()!;
            command.CommandText = $"CREATE TRIGGER refuse_c BEFORE INSERT ON {table} WHEN NEW.k = CAST('docs/c' AS BLOB) " +
                "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END";
            command.ExecuteNonQuery();
        }

        using (Database db = Database.Open(path))
        {
            var engine = new PolicyEngine(db);
            engine.Audit.Enable();

            Assert.ThrowsAny<Exception>(() => engine.Write(new WriteBatch().Put("docs/a", "new").Put("docs/b", "2").Put("docs/c", "3")));

            Assert.Equal(new[] { "docs/a" }, db.Scan("").Select(kv => Text(kv.Key)));
            Assert.Equal("old", Text(db.Get("docs/a")));
            Assert.Equal(AuditResult.Failed, Assert.Single(engine.Audit.Recent()).Result);
        }
    }
}
