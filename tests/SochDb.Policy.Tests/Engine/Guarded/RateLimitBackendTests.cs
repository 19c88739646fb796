using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>The engine's side of a shared rate-limit backend: what it asks, and what it does when the backend fails.</summary>
public sealed class RateLimitBackendTests
{
    /// <summary>A backend that records requests and answers as told.</summary>
    private sealed class ScriptedBackend : RateLimitBackend
    {
        public List<RateLimitAcquisition[]> Requests { get; } = new();

        public Func<RateLimitAcquisition[], RateLimitBackendResult> Answer { get; set; } = _ => RateLimitBackendResult.Acquired;

        internal override RateLimitBackendResult TryAcquire(ReadOnlySpan<RateLimitAcquisition> acquisitions)
        {
            RateLimitAcquisition[] copy = acquisitions.ToArray();
            Requests.Add(copy);
            return Answer(copy);
        }

        internal override async ValueTask<RateLimitBackendResult> TryAcquireAsync(ReadOnlyMemory<RateLimitAcquisition> acquisitions, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return TryAcquire(acquisitions.Span);
        }
    }

    [Fact]
    public async Task Backend_IsAskedForEveryApplicableLimitOnce_WithScopeValuesAndTokens()
    {
        var backend = new ScriptedBackend();
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = backend });
        RateLimitRule perAgent = kit.Engine.AddRateLimit(PolicyOperation.Write, 10, "agent_id").Limit;
        RateLimitRule all = kit.Engine.AddRateLimit(PolicyOperation.All, 100).Limit;
        kit.Engine.AddRateLimit(PolicyOperation.Read, 5, "session_id");
        var context = new PolicyContext { AgentId = "a1", SessionId = "s1" };

        kit.Engine.Put("k", "v", context);
        await kit.Engine.PutAsync("k", "v", context);
        kit.Engine.Write(new WriteBatch().Put("a", "1").Put("b", "2").Delete("c"), context);

        Assert.Equal(3, backend.Requests.Count);
        Assert.Equal(new[] { new RateLimitAcquisition(perAgent, "a1", 1), new RateLimitAcquisition(all, null, 1) }, backend.Requests[0]);
        Assert.Equal(backend.Requests[0], backend.Requests[1]);
        Assert.Equal(new[] { new RateLimitAcquisition(perAgent, "a1", 2), new RateLimitAcquisition(all, null, 3) }, backend.Requests[2]);
    }

    [Fact]
    public void Backend_Refusal_BecomesRateLimitExceeded_NamingTheRefusingLimitAndRetryAfter()
    {
        var backend = new ScriptedBackend { Answer = _ => RateLimitBackendResult.Refused(1, TimeSpan.FromSeconds(12)) };
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = backend });
        kit.Engine.AddRateLimit(PolicyOperation.Write, 10, "agent_id");
        RateLimitRule second = kit.Engine.AddRateLimit(PolicyOperation.Write, 3, "session_id").Limit;

        var refused = Refusals.RateLimited(() =>
            kit.Engine.Put("k", "v", new PolicyContext { AgentId = "a1", SessionId = "s9" }));

        Assert.Same(second, refused.RateLimit);
        Assert.Equal("s9", refused.ScopeValue);
        Assert.Equal(TimeSpan.FromSeconds(12), refused.RetryAfter);
        Assert.Null(kit.Stored("k"));
        Assert.Equal(AuditResult.RateLimited, Assert.Single(kit.Audit()).Result);
    }

    [Fact]
    public async Task BackendUnavailable_FailClosed_RefusesAudited_WithNoUnhandledBackendException()
    {
        var backend = new ScriptedBackend { Answer = _ => throw new TimeoutException("redis did not answer in 250 ms") };
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = backend });
        kit.Engine.AddRateLimit(PolicyOperation.All, 10, "agent_id");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "v", Agent("a1")));
        var refusedAsync = await Assert.ThrowsAsync<PolicyViolationException>(() => kit.Engine.GetAsync("k", Agent("a1")).AsTask());

        Assert.Contains("rate-limit backend unavailable", refused.Message);
        Assert.IsType<TimeoutException>(refused.InnerException);
        Assert.Contains("FailClosed", refusedAsync.Message);
        Assert.Null(kit.Stored("k"));
        Assert.All(kit.Audit(), e => Assert.Equal(AuditResult.Failed, e.Result));
        Assert.Equal(2, kit.Audit().Count);
    }

    [Fact]
    public void BackendUnavailable_FailOpen_LetsTheOperationThrough_AndTheAuditSaysSo()
    {
        var backend = new ScriptedBackend { Answer = _ => throw new TimeoutException("down") };
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = backend, RateLimitBackendFailure = FailureMode.FailOpen });
        kit.Engine.AddRateLimit(PolicyOperation.All, 1, "agent_id");

        kit.Engine.Put("k", "1", Agent("a1"));
        kit.Engine.Put("k", "2", Agent("a1"));

        Assert.Equal("2", kit.Stored("k"));
        Assert.All(kit.Audit(), e =>
        {
            Assert.Equal(AuditResult.Allowed, e.Result);
            Assert.Contains("FailOpen", e.Reason);
        });
    }

    [Fact]
    public void BackendUnavailable_LocalFallback_EnforcesTheLimitsInProcess_UntilTheBackendAnswersAgain()
    {
        bool down = true;
        var backend = new ScriptedBackend { Answer = _ => down ? throw new TimeoutException("down") : RateLimitBackendResult.Acquired };
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = backend, RateLimitBackendFailure = FailureMode.LocalFallback });
        kit.Engine.AddRateLimit(PolicyOperation.Write, 2, "agent_id");
        var agent = Agent("a1");

        kit.Engine.Put("k", "1", agent);
        kit.Engine.Put("k", "2", agent);
        Refusals.RateLimited(() => kit.Engine.Put("k", "3", agent));
        down = false;
        kit.Engine.Put("k", "4", agent);

        Assert.Equal("4", kit.Stored("k"));
        Assert.Contains("LocalFallback", kit.Audit()[0].Reason);
        Assert.Null(kit.Audit()[^1].Reason);
    }

    [Fact]
    public void Backend_WithoutApplicableLimits_IsNotCalled()
    {
        var backend = new ScriptedBackend();
        using var kit = new GuardedKit(new PolicyEngineOptions { RateLimitBackend = backend });
        kit.Engine.AddRateLimit(PolicyOperation.Read, 10);

        kit.Engine.Put("k", "v");

        Assert.Empty(backend.Requests);
    }
}
