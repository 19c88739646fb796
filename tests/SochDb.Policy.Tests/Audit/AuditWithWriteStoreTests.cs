using SochDb.Policy.Audit;
using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// The store's side of writing a decision entry in the data's own transaction: a committed write has its entry, a
/// rolled-back one has none, and the chain goes on intact either way.
/// </summary>
public sealed class AuditWithWriteStoreTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void ACommittedWriteHasItsEntry_ARolledBackOneHasNone_AndTheChainGoesOn()
    {
        string path = _directory.File("shared.db");
        using var store = (SqliteDatabase)Database.Open(path, new DatabaseOptions { Durability = Durability.Normal });
        using SqliteAuditSink log = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { Durability = Durability.Normal });
        var audited = (ITransactionalAuditStore)store;
        Assert.True(audited.SharesDatabaseWith(log.Ledger));

        audited.Put("a"u8, "1"u8, log.Ledger, Entry("a", PolicyOperation.Write));
        SqliteFaults.FailWritesOf(store, "b"u8.ToArray());
        Assert.ThrowsAny<IOException>(() => audited.Put("b"u8, "2"u8, log.Ledger, Entry("b", PolicyOperation.Write)));
        Assert.True(audited.Delete("a"u8, log.Ledger, Entry("a", PolicyOperation.Delete)));
        var batch = new WriteBatch();
        batch.Put("c", "3");
        batch.Put("b", "4"); // fails: the whole batch and its entries roll back
        Assert.ThrowsAny<IOException>(() => audited.Write(batch, log.Ledger, [Entry("c", PolicyOperation.Write), Entry("b", PolicyOperation.Write)]));
        log.Write([Entry("queued", PolicyOperation.Read)]); // the background writer's path, on the same chain

        Assert.Null(store.Get("b"));
        Assert.Null(store.Get("c"));
        Assert.Equal(["write a", "delete a", "read queued"],
            log.Query(new AuditQuery { OldestFirst = true }).Select(r => $"{AuditNames.Of(r.Operation)} {r.Key}"));
        AuditVerification verification = log.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        Assert.Equal(3, verification.HeadId);
    }

    [Fact]
    public void ALogInAnotherFile_DoesNotShareTheDatabase()
    {
        using Database store = Database.Open(_directory.File("data.db"));
        using SqliteAuditSink log = SqliteAuditSink.Open(_directory.File("log.db"));
        var audited = (ITransactionalAuditStore)store;
        Assert.False(audited.SharesDatabaseWith(log.Ledger));
        Assert.Throws<InvalidOperationException>(() => audited.Put("a"u8, "1"u8, log.Ledger, Entry("a", PolicyOperation.Write)));
        Assert.Null(store.Get("a"));
    }

    private static AuditEntry Entry(string key, PolicyOperation operation) =>
        new(-1, DateTimeOffset.UnixEpoch, operation, System.Text.Encoding.UTF8.GetBytes(key), AuditResult.Allowed, "agent", null, null, null);
}
