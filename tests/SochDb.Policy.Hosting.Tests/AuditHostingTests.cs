using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>Audit sinks and masks registered through the host.</summary>
public sealed class AuditHostingTests
{
    [Fact]
    public void ARegisteredSinkReceivesEveryOutcomeWithMaskedKeysAndIsDisposedAfterTheEngine()
    {
        var sink = new CollectingSink();
        var host = new PolicyHost(
            Config.Rules(("BeforeWrite", "secrets/**", "Deny")).With("Audit:MaskedKeys:0", "secrets/**"),
            builder => builder.AddAuditSink(_ => sink));
        PolicyEngine engine = host.Engine;

        engine.Put("notes/a", "v");
        Assert.Throws<PolicyViolationException>(() => engine.Put("secrets/a", "v"));
        engine.Audit.Flush();

        Assert.Equal(new[] { AuditResult.Allowed, AuditResult.Denied }, sink.Entries.Select(e => e.Result));
        Assert.Equal("notes/a", sink.Entries[0].Key);
        Assert.StartsWith("masked:", sink.Entries[1].Key);
        Assert.False(sink.Disposed);
        host.Dispose();
        Assert.True(sink.Disposed);
    }

    [Fact]
    public void ALedgerPathInConfigurationKeepsADurableAudit()
    {
        string dir = Directory.CreateTempSubdirectory("sochdb-ledger-").FullName;
        try
        {
            string ledger = Path.Combine(dir, "audit.db");
            using (var host = new PolicyHost(Config.Rules().With("Audit:LedgerPath", ledger)))
            {
                host.Engine.Put("k", "v");
            }

            using SqliteAuditSink reopened = SqliteAuditSink.Open(ledger);
            AuditVerification verification = reopened.Verify();
            Assert.True(verification.IsIntact, verification.ToString());
            Assert.Equal(1, verification.EntriesChecked);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ASinkThatThrowsIsLoggedAsAnErrorNamingTheSinkAndTheFailure()
    {
        using var host = new PolicyHost(Config.Rules(), builder => builder.AddAuditSink(_ => new ThrowingSink()));

        host.Engine.Put("notes/a", "v");
        host.Engine.Audit.Flush(); // the sink is not durable: its failure is skipped, logged, and the flush completes

        FakeLogRecord failure = Assert.Single(host.Errors, r => r.Id.Name == "PolicyAuditSinkFailed");
        Assert.Contains("throwing", failure.Message);
        Assert.IsType<IOException>(failure.Exception);
        Assert.Equal("disk full", failure.Exception!.Message);
        Assert.Equal("throwing", failure.GetStructuredStateValue("Sink"));
        Assert.Equal("False", failure.GetStructuredStateValue("WillRetry"));
    }

    private sealed class ThrowingSink : AuditSink
    {
        public ThrowingSink()
            : base("throwing")
        {
        }

        public override void Write(IReadOnlyList<AuditEntry> batch) => throw new IOException("disk full");
    }

    private sealed class CollectingSink : AuditSink
    {
        public CollectingSink()
            : base("collecting")
        {
        }

        public List<AuditEntry> Entries { get; } = new();

        public bool Disposed { get; private set; }

        public override void Write(IReadOnlyList<AuditEntry> batch) => Entries.AddRange(batch);

        protected override void Dispose(bool disposing) => Disposed = true;
    }
}
