using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Audit;

/// <summary>A keyed chain (HMAC-SHA256 under a key kept outside the log): only the key holder can extend or re-chain it.</summary>
public sealed class AuditChainKeyTests : IDisposable
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void AKeyedLog_VerifiesWithItsKey_AndASinkWithoutTheKeyRefusesToExtendIt()
    {
        string path = _directory.File("keyed.db");
        using (SqliteAuditSink keyed = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { ChainKey = Key }))
        {
            Assert.True(keyed.IsKeyed);
            keyed.Write(Entries(5));
            Assert.True(keyed.Verify().IsIntact);
        }

        using SqliteAuditSink keyless = SqliteAuditSink.Open(path);
        var refused = Assert.Throws<InvalidOperationException>(() => keyless.Write(Entries(1)));
        Assert.Contains("is keyed", refused.Message);
        Assert.Contains("ChainKey", refused.Message);
        Assert.Equal(5, keyless.Query(new AuditQuery()).Count()); // it still reads and queries

        AuditVerification withoutKey = keyless.Verify();
        Assert.Equal(1, withoutKey.FirstBrokenId);
        Assert.Contains("keyed log verifies only with its chain key", withoutKey.Problem);

        using SqliteAuditSink otherKey = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { ChainKey = new byte[32] });
        Assert.Contains("another key", Assert.Throws<InvalidOperationException>(() => otherKey.Write(Entries(1))).Message);
    }

    [Fact]
    public void AKeyedLog_CannotBeRechainedThroughThePublicSinkWithoutTheKey()
    {
        string path = _directory.File("keyed.db");
        using SqliteAuditSink keyed = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { ChainKey = Key });
        keyed.Write(Entries(10));
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM sochdb_audit WHERE id >= 4";
            delete.ExecuteNonQuery();
        }

        using (SqliteAuditSink forger = SqliteAuditSink.Open(path))
        {
            Assert.Throws<InvalidOperationException>(() => forger.Write(Entries(7)));
        }

        Assert.Equal(3, keyed.Query(new AuditQuery()).Count());
    }

    [Fact]
    public void AKeyedSink_RefusesToExtendAPlainLog()
    {
        string path = _directory.File("plain.db");
        using (SqliteAuditSink plain = SqliteAuditSink.Open(path))
        {
            plain.Write(Entries(2));
        }

        using SqliteAuditSink keyed = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { ChainKey = Key });
        Assert.Contains("not keyed", Assert.Throws<InvalidOperationException>(() => keyed.Write(Entries(1))).Message);
    }

    [Fact]
    public void AKeyedLogWithRetention_VerifiesAcrossTheCheckpoint_AndAnEditIsFound()
    {
        string path = _directory.File("keyed-retained.db");
        using SqliteAuditSink keyed = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { ChainKey = Key, MaxEntries = 5 });
        keyed.Write(Entries(20));
        Assert.Equal(15, keyed.Prune());
        Assert.True(keyed.Verify().IsIntact, keyed.Verify().ToString());

        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var edit = connection.CreateCommand();
            edit.CommandText = "UPDATE sochdb_audit SET reason = 'nothing to see' WHERE id = 18";
            edit.ExecuteNonQuery();
        }

        Assert.Equal(18, keyed.Verify().FirstBrokenId);
    }

    [Fact]
    public void AShortChainKey_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => SqliteAuditSink.Open(_directory.File("short.db"), new SqliteAuditSinkOptions { ChainKey = new byte[8] }));
        Assert.Contains("16", error.Message);
    }

    private static List<AuditEntry> Entries(int count) => Enumerable.Range(0, count)
        .Select(i => new AuditEntry(i, DateTimeOffset.UnixEpoch.AddSeconds(i), PolicyOperation.Write, System.Text.Encoding.UTF8.GetBytes("k" + i),
            AuditResult.Allowed, "agent", null, null, null))
        .ToList();
}
