using SochDb.Policy.TestServers;

namespace SochDb.Policy.Redis.Tests;

/// <summary>Redis killed under a running engine: each declared failure policy applies from the next operation.</summary>
[Trait("Category", "Slow")]
public sealed class EngineRedisOutageTests : IDisposable
{
    private readonly RedisServer _server = RedisServer.Start();

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData(FailureMode.FailClosed)]
    [InlineData(FailureMode.FailOpen)]
    [InlineData(FailureMode.LocalFallback)]
    public async Task TheDeclaredPolicyAppliesWhileRedisIsDownAndLimitsReturnWithIt(FailureMode policy)
    {
        using RedisRateLimitBackend backend = RedisRateLimitBackend.Connect(_server.Configuration, new RedisRateLimitOptions { Timeout = TimeSpan.FromSeconds(2) });
        using Database store = Database.OpenInMemory();
        var engine = new PolicyEngine(store, new PolicyEngineOptions { RateLimitBackend = backend, RateLimitBackendFailure = policy });
        engine.Audit.Enable();
        engine.AddRateLimit(PolicyOperation.Write, 3, RateLimitRule.AgentIdScope);
        var context = new PolicyContext { AgentId = "agent" };
        engine.Put("before", "v", context);
        Assert.Null(engine.Audit.Recent(1).Single().Reason);

        _server.Kill();
        int admitted = 0;
        for (int i = 0; i < 5; i++)
        {
            try
            {
                if (i % 2 == 0)
                {
                    engine.Put($"down/{i}", "v", context);
                }
                else
                {
                    await engine.PutAsync(System.Text.Encoding.UTF8.GetBytes($"down/{i}"), "v"u8.ToArray(), context);
                }

                admitted++;
                AuditEntry entry = engine.Audit.Recent(1).Single();
                Assert.Equal(AuditResult.Allowed, entry.Result);
                Assert.Contains("rate-limit backend unavailable", entry.Reason);
                Assert.Contains(policy.ToString(), entry.Reason);
            }
            catch (PolicyViolationException e) when (policy == FailureMode.LocalFallback && e.Cause == PolicyRefusalCause.RateLimited)
            {
                Refusals.CheckRateLimited(e);
                Assert.Equal(AuditResult.RateLimited, engine.Audit.Recent(1).Single().Result);
            }
            catch (PolicyViolationException e) when (policy == FailureMode.FailClosed && e.Cause != PolicyRefusalCause.RateLimited)
            {
                Assert.Equal(PolicyRefusalCause.LimitBackendUnavailable, e.Cause);
                Assert.Contains("rate-limit backend unavailable", e.Message);
                Assert.IsType<RedisRateLimitException>(e.InnerException);
                AuditEntry entry = engine.Audit.Recent(1).Single();
                Assert.Equal(AuditResult.Failed, entry.Result);
                Assert.Contains("FailClosed", entry.Reason);
            }
        }

        // FailClosed admits nothing, FailOpen everything, LocalFallback what this engine's own bucket (3 a minute) holds.
        int expected = policy switch
        {
            FailureMode.FailClosed => 0,
            FailureMode.FailOpen => 5,
            _ => 3,
        };
        Assert.Equal(expected, admitted);
        Assert.Equal(expected, store.Scan("down/").Count());

        // Redis comes back (empty): the shared limit decides again, with its full bucket of 3.
        _server.Restart();
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        int n = 0;
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "the engine did not use Redis again within 30 s of its return");
            try
            {
                engine.Put($"back/{n++}", "v", context);
                if (engine.Audit.Recent(1).Single().Reason is null)
                {
                    break;
                }
            }
            catch (PolicyViolationException)
            {
                // Still down for this engine (FailClosed, or LocalFallback's exhausted local bucket).
            }

            await Task.Delay(100);
        }

        engine.Put("back/second", "v", context);
        await engine.PutAsync("back/third"u8.ToArray(), "v"u8.ToArray(), context);
        PolicyViolationException refused = Refusals.RateLimited(() => engine.Put("back/fourth", "v", context));
        Assert.True(refused.RetryAfter > TimeSpan.FromSeconds(10));
        Assert.Null(store.Get("back/fourth"));
    }
}
