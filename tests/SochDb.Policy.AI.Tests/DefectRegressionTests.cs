namespace SochDb.Policy.AI.Tests;

/// <summary>Regression tests named after the defects they pin (a refusal's cause decides what the model is told).</summary>
public sealed class DefectRegressionTests
{
    /// <summary>A durable sink that fails every write with a message that must never reach the model.</summary>
    private sealed class FailingDurableSink : AuditSink
    {
        public FailingDurableSink()
            : base("failing")
        {
        }

        public override bool IsDurable => true;

        public override void Write(IReadOnlyList<AuditEntry> batch) =>
            throw new IOException("disk full at /var/lib/secret-mount while writing agents/alice/notes/today");
    }

    private sealed class FailingBackend : RateLimitBackend
    {
        internal override RateLimitBackendResult TryAcquire(ReadOnlySpan<RateLimitAcquisition> acquisitions) =>
            throw new TimeoutException("redis at 10.0.0.7:6379 did not answer, password=pw");

        internal override ValueTask<RateLimitBackendResult> TryAcquireAsync(ReadOnlyMemory<RateLimitAcquisition> acquisitions,
            CancellationToken cancellationToken = default) =>
            ValueTask.FromException<RateLimitBackendResult>(new TimeoutException("redis at 10.0.0.7:6379 did not answer, password=pw"));
    }

    [Fact]
    public async Task Defect1_FailingDurableSink_ModelIsToldUnavailableAndRetryable_WithoutTheSinksText()
    {
        using var agent = new AgentHarness();
        agent.Engine.Audit.Enable(new AuditOptions { Sinks = [new FailingDurableSink()], SinkFailure = FailureMode.FailClosed });
        agent.Engine.Put("agents/alice/warmup", "1");
        Assert.Throws<IOException>(agent.Engine.Audit.Flush);

        string json = await agent.CallOnceAsync("memory_write", """{"key":"notes/today","value":"buy milk"}""");

        Assert.Equal("""{"status":"unavailable","key":"notes/today","reason":"the decision log cannot record operations right now, so nothing was read or changed; try again later","retryable":true}""", json);
        Assert.DoesNotContain("disk full", agent.Model.EverythingSent());
        Assert.DoesNotContain("secret-mount", agent.Model.EverythingSent());
        Assert.Null(agent.StoredValue("agents/alice/notes/today"));
    }

    [Fact]
    public async Task Defect1_UnavailableLimitBackend_ModelIsToldUnavailableAndRetryable_WithoutTheBackendsText()
    {
        using var agent = new AgentHarness(
            configure: engine => engine.AddRateLimit(PolicyOperation.All, 100, "agent_id"),
            limitBackend: new FailingBackend());

        string json = await agent.CallOnceAsync("memory_read", """{"key":"notes/today"}""");

        Assert.Equal("""{"status":"unavailable","key":"notes/today","reason":"the shared rate-limit service is unavailable, so nothing was read or changed; try again later","retryable":true}""", json);
        Assert.DoesNotContain("password", agent.Model.EverythingSent());
    }
}
