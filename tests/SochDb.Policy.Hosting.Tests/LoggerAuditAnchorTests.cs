using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SochDb.Policy.Hosting.Logging;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>The ILogger anchor: each published head of the durable log is one structured event that verification can use.</summary>
public sealed class LoggerAuditAnchorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sochdb-anchor-" + Guid.NewGuid().ToString("N"));

    public LoggerAuditAnchorTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void TheHeadIsLoggedAtDisposal_AndVerifiesTheLog()
    {
        var collector = new FakeLogCollector();
        string path = Path.Combine(_directory, "audit.db");
        using Database store = Database.OpenInMemory();
        using SqliteAuditSink sink = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { Durability = Durability.Normal });
        using (var engine = new PolicyEngine(store))
        {
            engine.Audit.Enable(new AuditOptions { Sinks = [sink], Anchor = new LoggerAuditAnchor(new FakeLogger(collector)) });
            engine.Put("a", "v");
            engine.Put("b", "v");
        }

        FakeLogRecord record = Assert.Single(collector.GetSnapshot());
        Assert.Equal((1103, "PolicyAuditHead", LogLevel.Information), (record.Id.Id, record.Id.Name, record.Level));
        var head = new AuditHead(long.Parse(record.GetStructuredStateValue("HeadId")!), Convert.FromHexString(record.GetStructuredStateValue("HeadHash")!));
        Assert.Equal(2, head.Id);
        Assert.True(sink.Verify(head).IsIntact);
    }
}
