using static SochDb.Policy.Tests.Engine.EngineTestKit;

namespace SochDb.Policy.Tests.Engine;

/// <summary>Token-bucket arithmetic on a fake clock (docs/semantics.md, "Rate limits").</summary>
public sealed class RateLimitTests
{
    [Fact]
    public void ABucketStartsFull_WithCapacityMaxPerMinute()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 60);

        for (int i = 0; i < 60; i++)
        {
            kit.Engine.Put("k", "v");
        }

        Refusals.RateLimited(() => kit.Engine.Put("k", "v"));
    }

    [Fact]
    public void RefillIsContinuous_AndLosesNoFractionOfAToken()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Read, 7); // a token every 60/7 s = 8.571428... s
        for (int i = 0; i < 7; i++)
        {
            kit.Engine.Get("k");
        }

        // Probe every second for a minute: 7 tokens come back, at ceil(k * 60 / 7) seconds. Rounding each probe's
        // refill down (1 s x 7/60 token) would never grant one.
        var grantedAt = new List<int>();
        for (int second = 1; second <= 60; second++)
        {
            kit.Time.Advance(TimeSpan.FromSeconds(1));
            try
            {
                kit.Engine.Get("k");
                grantedAt.Add(second);
            }
            catch (PolicyViolationException refused) when (refused.Cause == PolicyRefusalCause.RateLimited)
            {
            }
        }

        Assert.Equal(new[] { 9, 18, 26, 35, 43, 52, 60 }, grantedAt);
    }

    [Fact]
    public void RefillNeverExceedsCapacity()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 3);
        kit.Engine.Put("k", "v");
        kit.Time.Advance(TimeSpan.FromHours(5));

        for (int i = 0; i < 3; i++)
        {
            kit.Engine.Put("k", "v");
        }

        Refusals.RateLimited(() => kit.Engine.Put("k", "v"));
    }

    [Fact]
    public void LimitsAreAtomic_ARefusalByOneLimitTakesNothingFromTheOthers()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.All, 2, "session_id");
        kit.Engine.AddRateLimit(PolicyOperation.Write, 1, "agent_id");
        var s1a = new PolicyContext { AgentId = "a", SessionId = "s1" };
        var s1b = new PolicyContext { AgentId = "b", SessionId = "s1" };

        kit.Engine.Put("k", "v", s1a);                                            // s1: 1 left, a: 0 left
        for (int i = 0; i < 5; i++)
        {
            var refused = Refusals.RateLimited(() => kit.Engine.Put("k", "v", s1a));
            Assert.Equal("agent_id", refused.RateLimit!.Scope);                              // each refusal took nothing from s1
        }

        kit.Engine.Put("k", "v", s1b);                                            // s1's last token
        var session = Refusals.RateLimited(() => kit.Engine.Get("k", s1b));
        Assert.Equal(("session_id", "s1"), (session.RateLimit!.Scope, session.ScopeValue));
    }

    [Fact]
    public void WhenSeveralLimitsRefuse_TheExceptionNamesTheOneThatFreesUpLast()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 60);                        // 1 s per token
        kit.Engine.AddRateLimit(PolicyOperation.Write, 6, "agent_id");             // 10 s per token
        for (int i = 0; i < 6; i++)
        {
            kit.Engine.Put("k", "v", Agent("a"));
        }

        for (int i = 0; i < 54; i++)
        {
            kit.Engine.Put("k", "v", Agent("other" + i));
        }

        var refused = Refusals.RateLimited(() => kit.Engine.Put("k", "v", Agent("a")));
        Assert.Equal("agent_id", refused.RateLimit!.Scope);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.RetryAfter);
    }

    [Theory]
    [InlineData("agentid", "did you mean \"agent_id\"")]
    [InlineData("Session_Id", "did you mean \"session_id\"")]
    [InlineData("tenant", "did you mean \"item:tenant\"")]
    [InlineData("item: ", "names no context item")]
    public void AnUnknownScopeIsRefusedNamingItAndTheValidOnes(string scope, string hint)
    {
        using var kit = new EngineTestKit();

        var e = Assert.Throws<ArgumentException>(() => kit.Engine.AddRateLimit(PolicyOperation.Write, 5, scope));

        Assert.Equal("scope", e.ParamName);
        Assert.Contains($"\"{scope}\"", e.Message);
        Assert.Contains(hint, e.Message);
        if (!scope.StartsWith("item:", StringComparison.Ordinal))
        {
            Assert.Contains("use \"global\", \"agent_id\", \"session_id\" or \"item:NAME\"", e.Message);
        }

        Assert.Equal("item:tenant", RateLimitRule.ItemScope("tenant"));
        Assert.Throws<ArgumentException>(() => new RateLimitRule(PolicyOperation.Read, 1, "agentid"));
    }

    [Fact]
    public void CallersLackingTheScopeItemShareOneAbsentBucket()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 2, "item:tenant");
        var noTenant1 = new PolicyContext { AgentId = "x" };
        var noTenant2 = new PolicyContext { SessionId = "y" };
        var tenant = PolicyContext.Empty.With("tenant", "acme");

        kit.Engine.Put("k", "v", noTenant1);
        kit.Engine.Put("k", "v");
        var refused = Refusals.RateLimited(() => kit.Engine.Put("k", "v", noTenant2));
        kit.Engine.Put("k", "v", tenant);
        kit.Engine.Put("k", "v", tenant);

        Assert.Equal("item:tenant", refused.RateLimit!.Scope);
        Assert.Null(refused.ScopeValue);
        Assert.Contains("per item:tenant (absent)", refused.Message);
        Refusals.RateLimited(() => kit.Engine.Put("k", "v", tenant));
    }

    [Fact]
    public void RetryAfterSaysExactlyWhenTheNextTokenComes_RoundedUp()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 7, "agent_id");
        var agent = Agent("a");
        for (int i = 0; i < 7; i++)
        {
            kit.Engine.Put("k", "v", agent);
        }

        var first = Refusals.RateLimited(() => kit.Engine.Put("k", "v", agent));
        Assert.Equal(TimeSpan.FromTicks(85_714_286), first.RetryAfter); // 60/7 s = 8.5714285714 s, rounded up to a tick

        kit.Time.Advance(TimeSpan.FromSeconds(8));
        var second = Refusals.RateLimited(() => kit.Engine.Put("k", "v", agent));
        Assert.Equal(TimeSpan.FromTicks(5_714_286), second.RetryAfter);
        Assert.Contains("retry after 0.571 s", second.Message);

        kit.Time.Advance(second.RetryAfter!.Value);
        kit.Engine.Put("k", "v", agent);
        Assert.Equal("a", second.AgentId);
        Assert.Equal(7, second.RateLimit!.MaxPerMinute);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void MemoryStaysBoundedByRecentlyActiveScopeValues_AfterAMillionDistinctAgents()
    {
        using var kit = new EngineTestKit();
        kit.Engine.Audit.Disable();
        kit.Engine.AddRateLimit(PolicyOperation.Read, 10, "agent_id");
        var limiter = kit.Engine.RateLimiter;
        for (int i = 0; i < 1_000_000; i++)
        {
            Assert.True(limiter.TryAcquire(PolicyOperation.Read, new PolicyContext { AgentId = "agent-" + i }, out _));
        }

        Assert.Equal(1_000_000, limiter.BucketCount);

        // One agent drains its bucket just before the sweep: it must stay limited afterwards.
        kit.Time.Advance(TimeSpan.FromSeconds(59));
        var drained = Agent("drained");
        for (int i = 0; i < 10; i++)
        {
            kit.Engine.Get("k", drained);
        }

        kit.Time.Advance(TimeSpan.FromSeconds(2));
        Refusals.RateLimited(() => kit.Engine.Get("k", drained));

        // The sweep is spread over the acquires that follow, a bounded step each: no single operation pays for it.
        var probe = Agent("probe");
        int acquires = 0;
        while (limiter.IsSweeping)
        {
            limiter.TryAcquire(PolicyOperation.Read, probe, out _); // refused or not, each acquire does its step
            Assert.InRange(limiter.LastSweepWork, 0, RateLimiting.RateLimiter.SweepBudget);
            kit.Time.Advance(TimeSpan.FromMilliseconds(1));
            acquires++;
        }

        Assert.InRange(acquires, 1_000_000 / RateLimiting.RateLimiter.SweepBudget - 1, 1_000_000 / RateLimiting.RateLimiter.SweepBudget + 2);
        Assert.Equal(2, limiter.BucketCount);   // the drained agent and the probe
        Assert.True(limiter.BucketCapacity < 1_000, $"capacity {limiter.BucketCapacity} was not given back");
        kit.Engine.Get("k", Agent("agent-5"));   // a dropped bucket comes back full
    }

    [Fact]
    public void TheSweepLooksAtAtMostABudgetOfBucketsPerAcquire_AndDropsOnlyFullOnes()
    {
        using var kit = new EngineTestKit();
        kit.Engine.Audit.Disable();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 10, "agent_id");
        var limiter = kit.Engine.RateLimiter;
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryAcquire(PolicyOperation.Write, Agent("idle-" + i), out _));
        }

        // Ten agents drain their buckets just before the sweep is due: they stay below capacity through it.
        kit.Time.Advance(TimeSpan.FromSeconds(59));
        for (int i = 0; i < 10; i++)
        {
            for (int t = 0; t < 10; t++)
            {
                kit.Engine.Put("k", "v", Agent("busy-" + i));
            }
        }

        kit.Time.Advance(TimeSpan.FromSeconds(1));

        int before = limiter.BucketCount;
        var steps = new List<int>();
        for (int i = 0; i < 100 && (steps.Count == 0 || limiter.IsSweeping); i++)
        {
            limiter.TryAcquire(PolicyOperation.Write, Agent("probe"), out _); // refused or not, each acquire does its step
            steps.Add(limiter.LastSweepWork);
        }

        Assert.Equal(1010, before);
        Assert.All(steps, work => Assert.InRange(work, 0, RateLimiting.RateLimiter.SweepBudget));
        Assert.Equal(RateLimiting.RateLimiter.SweepBudget, steps[0]);
        Assert.False(limiter.IsSweeping);
        Assert.Equal(11, limiter.BucketCount);    // the busy ten and the probe
        for (int i = 0; i < 10; i++)
        {
            Refusals.RateLimited(() => kit.Engine.Put("k", "v", Agent("busy-" + i)));
        }
    }

    [Fact]
    public void ABucketDroppedByTheSweep_IsNotKeptAliveByTheLastCallerCache()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Read, 2, "agent_id");
        var a = Agent("a");
        kit.Engine.Get("k", a);

        // The next acquire by "a" runs the sweep, which drops a's (refilled, full) bucket.
        kit.Time.Advance(TimeSpan.FromSeconds(61));
        kit.Engine.Get("k", a);
        kit.Engine.Get("k", a);
        kit.Engine.Get("k", Agent("b"));

        // Another context with an equal (not identical) agent id meets the same, now empty, bucket.
        var refused = Refusals.RateLimited(() => kit.Engine.Get("k", Agent(new string('a', 1))));
        Assert.Equal("a", refused.ScopeValue);
        Refusals.RateLimited(() => kit.Engine.Get("k", a));
        Assert.Equal(2, kit.Engine.RateLimiter.BucketCount);
    }

    [Fact]
    public void OnTheSystemClock_RetryAfterAllowsForTheCoarseTick_AndNeverPromisesATokenEarly()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store);
        engine.AddRateLimit(PolicyOperation.Write, 1, "agent_id");
        engine.Put("k", "v", Agent("a"));
        var refused = Refusals.RateLimited(() => engine.Put("k", "v", Agent("a")));

        // One token a minute, just taken: the next comes a minute after the first put, plus at most one tick of lag.
        Assert.True(refused.RetryAfter > TimeSpan.FromSeconds(50), $"RetryAfter {refused.RetryAfter}");
        Assert.True(refused.RetryAfter <= TimeSpan.FromSeconds(61), $"RetryAfter {refused.RetryAfter}");
        Assert.True(refused.RetryAfter!.Value.Ticks % TimeSpan.TicksPerMillisecond == 0, "the coarse clock counts milliseconds");
    }

    [Fact]
    public void ALimitOnAllCoversReadsWritesAndDeletes_AndALimitOnOneOperationOnlyThatOne()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit("all", 3);
        kit.Engine.AddRateLimit("DELETE", 1);

        kit.Engine.Put("k", "v");
        kit.Engine.Delete("k");
        var delete = Refusals.RateLimited(() => kit.Engine.Delete("k"));
        kit.Engine.Get("k");
        var all = Refusals.RateLimited(() => kit.Engine.Get("k"));

        Assert.Equal(PolicyOperation.Delete, delete.RateLimit!.Operation);
        Assert.Equal(PolicyOperation.All, all.RateLimit!.Operation);
        Assert.Equal(PolicyOperation.Read, all.Operation);
    }

    [Fact]
    public void CompiledSetsBringTheirRateLimits()
    {
        using var kit = new EngineTestKit(HandWrittenPolicySet.Create(new RateLimitRule(PolicyOperation.Write, 1, "agent_id")));

        kit.Engine.Put("k", "v", Agent("a"));
        kit.Engine.Put("k", "v", Agent("b"));
        var refused = Refusals.RateLimited(() => kit.Engine.Put("k", "v", Agent("a")));

        Assert.Equal("Write 1/min per agent_id", refused.RateLimit!.ToString());
    }

    [Fact]
    public void AnAcquireAllocatesNothing()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.All, int.MaxValue);
        kit.Engine.AddRateLimit(PolicyOperation.Read, int.MaxValue, "agent_id");
        kit.Engine.AddRateLimit(PolicyOperation.Read, int.MaxValue, "item:tenant");
        var limiter = kit.Engine.RateLimiter;
        var context = new PolicyContext { AgentId = "a" }.With("tenant", "t");
        for (int i = 0; i < 100; i++)
        {
            limiter.TryAcquire(PolicyOperation.Read, context, out _);
        }

        long allocated = Allocations.Minimum(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                kit.Time.Advance(TimeSpan.FromMilliseconds(1));
                limiter.TryAcquire(PolicyOperation.Read, context, out _);
            }
        });

        Assert.Equal(0, allocated);
    }
}
