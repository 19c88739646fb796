using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SochDb.Policy.Hosting.Logging;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>ILogger export: one structured event per entry, at the level its result calls for, masked keys masked.</summary>
public sealed class LoggerAuditSinkTests
{
    [Fact]
    public void EveryEntryBecomesOneStructuredEvent_AtTheLevelOfItsResult()
    {
        var collector = new FakeLogCollector();
        var sink = new LoggerAuditSink(new FakeLogger(collector));
        using var store = Database.OpenInMemory();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
        engine.BeforeWrite("system/*", Policies.DenyAll, name: "no-system");
        engine.BeforeRead("broken/*", static (in PolicyRequest _) => throw new InvalidOperationException("boom"), name: "broken");
        var agent = new PolicyContext { AgentId = "agent_1", SessionId = "s1" };

        engine.Put("notes/a", "v", agent);
        Assert.Throws<PolicyViolationException>(() => engine.Put("system/x", "v", agent));
        Assert.Throws<PolicyViolationException>(() => engine.Get("broken/y", agent));
        engine.Audit.Flush();

        IReadOnlyList<FakeLogRecord> records = collector.GetSnapshot();
        Assert.Equal(3, records.Count);
        Assert.Equal(new[] { LogLevel.Information, LogLevel.Warning, LogLevel.Error }, records.Select(r => r.Level));
        Assert.All(records, r => Assert.Equal(1100, r.Id.Id));
        FakeLogRecord denied = records[1];
        Assert.Equal("write", denied.GetStructuredStateValue("Operation"));
        Assert.Equal("system/x", denied.GetStructuredStateValue("Key"));
        Assert.Equal("denied", denied.GetStructuredStateValue("Result"));
        Assert.Equal("[BeforeWrite(\"system/*\")] no-system", denied.GetStructuredStateValue("Rule"));
        Assert.Equal("agent_1", denied.GetStructuredStateValue("AgentId"));
        Assert.Equal("s1", denied.GetStructuredStateValue("SessionId"));
        Assert.Contains("system/x denied by rule", denied.Message);
        Assert.Equal("the handler threw InvalidOperationException", records[2].GetStructuredStateValue("Reason")); // never the message
    }

    [Fact]
    public void AMaskedKeyNeverReachesTheLog_NorTheFailureReportOfALoggerThatThrows()
    {
        var collector = new FakeLogCollector();
        var throwing = new LoggerAuditSink(new ThrowingLogger(), name: "throwing");
        var sink = new LoggerAuditSink(new FakeLogger(collector));
        var failures = new List<(AuditSink Sink, Exception Exception)>();
        using var store = Database.OpenInMemory();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions
        {
            Sinks = [throwing, sink],
            MaskedKeys = ["users/*/ssn"],
            MaskKey = new byte[32],
            OnSinkFailure = (sink, exception) => failures.Add((sink, exception)),
        });

        engine.Put("users/alice-4711/ssn", "078-05-1120");
        engine.Put("users/alice-4711/name", "Alice");
        engine.Audit.Flush();

        IReadOnlyList<FakeLogRecord> records = collector.GetSnapshot();
        Assert.Equal(2, records.Count);
        Assert.StartsWith("masked:", records[0].GetStructuredStateValue("Key"));
        Assert.Equal("True", records[0].GetStructuredStateValue("KeyMasked"));
        Assert.Equal("users/alice-4711/name", records[1].GetStructuredStateValue("Key"));
        Assert.DoesNotContain(records, r => r.Message.Contains("users/alice-4711/ssn", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Message.Contains("078-05-1120", StringComparison.Ordinal));

        // The throwing logger put the formatted message in its exception: the failure report carries only the mask.
        // (One failure per batch: the writer may have taken the two entries in one batch or two.)
        Assert.InRange(failures.Count, 1, 2);
        Assert.Contains(failures, f => f.Exception.Message.Contains("masked:", StringComparison.Ordinal));
        Assert.All(failures, f => Assert.False(f.Sink.IsDurable));
        Assert.All(failures, f => Assert.DoesNotContain("alice-4711/ssn", f.Exception.Message));
        Assert.Equal(failures.Count, engine.Audit.Status.SinkFailures);
        Assert.DoesNotContain("alice-4711/ssn", engine.Audit.Status.LastFailure!);
        Assert.False(engine.Audit.Status.IsFailing);
    }

    [Fact]
    public void AGapRecordIsLoggedAsAnError()
    {
        var collector = new FakeLogCollector();
        var sink = new LoggerAuditSink(new FakeLogger(collector));
        sink.Write([new AuditEntry(-1, DateTimeOffset.UnixEpoch, PolicyOperation.All, [], AuditResult.EntriesDropped, null, null, "audit queue", "3 entries dropped")]);

        FakeLogRecord record = Assert.Single(collector.GetSnapshot());
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Equal(1101, record.Id.Id);
        Assert.Equal("3 entries dropped", record.GetStructuredStateValue("Reason"));
    }

    [Fact]
    public void LevelsFollowResults()
    {
        Assert.Equal(LogLevel.Information, LoggerAuditSink.LevelOf(AuditResult.Modified));
        Assert.Equal(LogLevel.Warning, LoggerAuditSink.LevelOf(AuditResult.RateLimited));
        Assert.Equal(LogLevel.Warning, LoggerAuditSink.LevelOf(AuditResult.WouldDeny));
        Assert.Equal(LogLevel.Warning, LoggerAuditSink.LevelOf(AuditResult.ApprovalRequired));
        Assert.Equal(LogLevel.Error, LoggerAuditSink.LevelOf(AuditResult.Failed));
        Assert.Throws<ArgumentNullException>(() => new LoggerAuditSink((ILogger)null!));
    }

    private sealed class ThrowingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new IOException("disk full while logging: " + formatter(state, exception));
    }
}
