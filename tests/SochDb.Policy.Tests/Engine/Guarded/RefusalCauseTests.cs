using SochDb.Policy.Tests.Audit;
using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>Every refusal says why in <see cref="PolicyViolationException.Cause"/>, a value callers switch on.</summary>
public sealed class RefusalCauseTests
{
    [Fact]
    public void Cause_Denied_WhenAHandlerDenies()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("k", (in PolicyRequest _) => PolicyAction.Deny);

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "v"));

        Assert.Equal(PolicyRefusalCause.Denied, refused.Cause);
    }

    [Fact]
    public void Cause_HandlerFailed_WhenAHandlerThrows_InASingleOperationAndInABatch()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("k", (in PolicyRequest _) => throw new InvalidOperationException("boom"));

        var single = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "v"));
        var batch = Assert.Throws<PolicyViolationException>(() => kit.Engine.Write(new WriteBatch().Put("k", "v")));

        Assert.Equal(PolicyRefusalCause.HandlerFailed, single.Cause);
        Assert.Equal(PolicyRefusalCause.HandlerFailed, batch.Cause);
    }

    [Fact]
    public void Cause_UndefinedVerdict_WhenAHandlerReturnsAVerdictItsTriggerDoesNotAllow()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeRead("k", (in PolicyRequest _) => PolicyDecision.Modify("x"u8.ToArray()));
        kit.Engine.BeforeDelete("k", (in PolicyRequest _) => (PolicyAction)42);

        var read = Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("k"));
        var delete = Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("k"));
        var batch = Assert.Throws<PolicyViolationException>(() => kit.Engine.Write(new WriteBatch().Delete("k")));

        Assert.Equal(PolicyRefusalCause.UndefinedVerdict, read.Cause);
        Assert.Equal(PolicyRefusalCause.UndefinedVerdict, delete.Cause);
        Assert.Equal(PolicyRefusalCause.UndefinedVerdict, batch.Cause);
    }

    [Fact]
    public void Cause_NestingTooDeep_ForTheInnermostRefusal()
    {
        using var kit = new GuardedKit(new PolicyEngineOptions { MaxNestingDepth = 1 });
        PolicyEngine engine = kit.Engine;
        PolicyViolationException? inner = null;
        engine.BeforeWrite("outer", (in PolicyRequest _) =>
        {
            try
            {
                engine.Put("inner", "1");
            }
            catch (PolicyViolationException refused)
            {
                inner = refused;
            }

            return PolicyAction.Allow;
        });

        engine.Put("outer", "1");

        Assert.NotNull(inner);
        Assert.Equal(PolicyRefusalCause.NestingTooDeep, inner.Cause);
        Assert.Null(kit.Stored("inner"));
    }

    [Fact]
    public void Cause_AuditUnavailable_WhileAFailClosedDurableSinkFails()
    {
        using var store = Database.OpenInMemory();
        var sink = new ControllableSink();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
        sink.Failure = new IOException("disk full");
        engine.Put("a", "1");
        Assert.Throws<IOException>(engine.Audit.Flush);

        var refused = Assert.Throws<PolicyViolationException>(() => engine.Put("b", "2"));

        Assert.Equal(PolicyRefusalCause.AuditUnavailable, refused.Cause);
        Assert.Null(store.Get("b"));
        sink.Failure = null;
    }

    [Fact]
    public void Cause_LimitBackendUnavailable_WhenTheSharedBackendFailsClosed()
    {
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = new FailingBackend() });
        kit.Engine.AddRateLimit(PolicyOperation.All, 10, "agent_id");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "v", Agent("a1")));

        Assert.Equal(PolicyRefusalCause.LimitBackendUnavailable, refused.Cause);
    }

    [Fact]
    public void Cause_Denied_ForARateLimitAndForTheConstructorWithoutAnInnerException()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 1);
        kit.Engine.Put("k", "1");

        var limited = Assert.Throws<RateLimitExceededException>(() => kit.Engine.Put("k", "2"));

        Assert.Equal(PolicyRefusalCause.Denied, limited.Cause);
        Assert.Equal(PolicyRefusalCause.Denied, new PolicyViolationException(PolicyOperation.Read, "k"u8, null, null, null, null).Cause);
        Assert.Equal(PolicyRefusalCause.HandlerFailed,
            new PolicyViolationException(PolicyOperation.Read, "k"u8, null, null, null, null, new InvalidOperationException()).Cause);
    }

    private sealed class FailingBackend : RateLimitBackend
    {
        internal override RateLimitBackendResult TryAcquire(ReadOnlySpan<RateLimitAcquisition> acquisitions) =>
            throw new TimeoutException("down");

        internal override ValueTask<RateLimitBackendResult> TryAcquireAsync(ReadOnlyMemory<RateLimitAcquisition> acquisitions,
            CancellationToken cancellationToken = default) => throw new TimeoutException("down");
    }
}
