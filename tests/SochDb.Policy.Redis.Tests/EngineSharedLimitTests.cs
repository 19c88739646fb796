namespace SochDb.Policy.Redis.Tests;

/// <summary>Policy engines sharing limits through the Redis backend.</summary>
[Trait("Category", "Slow")]
[Collection(RedisCollection.Name)]
public sealed class EngineSharedLimitTests(RedisFixture redis)
{
    [Fact]
    public async Task ThreeEnginesHammeringOneAgentForTenSecondsAdmitNoMoreThanTheLimitAndItsRefill()
    {
        string prefix = RedisFixture.NewPrefix();
        var engines = new List<(PolicyEngine Engine, RedisRateLimitBackend Backend, Database Store)>();
        for (int i = 0; i < 3; i++)
        {
            // Each engine has its own store and its own Redis connection, as three processes would.
            RedisRateLimitBackend backend = redis.NewBackend(prefix);
            Database store = Database.OpenInMemory();
            var engine = new PolicyEngine(store, new PolicyEngineOptions { RateLimitBackend = backend });
            engine.AddRateLimit(PolicyOperation.Write, 600, RateLimitRule.AgentIdScope);
            engines.Add((engine, backend, store));
        }

        try
        {
            var busy = new PolicyContext { AgentId = "busy-agent" };
            var quiet = new PolicyContext { AgentId = "quiet-agent" };
            int admitted = 0;
            int refused = 0;
            int quietAdmitted = 0;
            var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            TimeSpan longestRetryAfter = TimeSpan.Zero;
            long start = redis.ServerTimeMs();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Task[] hammers = Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
            {
                PolicyEngine engine = engines[worker % 3].Engine;
                for (int n = 0; !stop.IsCancellationRequested; n++)
                {
                    try
                    {
                        await engine.PutAsync("busy/" + worker + "/" + n, "v", busy);
                        Interlocked.Increment(ref admitted);
                    }
                    catch (PolicyViolationException e) when (e.Cause == PolicyRefusalCause.RateLimited)
                    {
                        Interlocked.Increment(ref refused);
                        lock (unexpected)
                        {
                            TimeSpan retryAfter = Refusals.CheckRateLimited(e).RetryAfter!.Value;
                            longestRetryAfter = retryAfter > longestRetryAfter ? retryAfter : longestRetryAfter;
                        }
                    }
                    catch (Exception e)
                    {
                        unexpected.Enqueue(e);
                    }
                }
            })).ToArray();
            Task other = Task.Run(async () =>
            {
                for (int n = 0; !stop.IsCancellationRequested; n++)
                {
                    try
                    {
                        engines[n % 3].Engine.Put("quiet/" + n, "v"u8, quiet);
                        Interlocked.Increment(ref quietAdmitted);
                    }
                    catch (Exception e)
                    {
                        unexpected.Enqueue(e);
                    }

                    await Task.Delay(100);
                }
            });
            await Task.WhenAll([.. hammers, other]).WaitAsync(TimeSpan.FromMinutes(2));
            long elapsed = redis.ServerTimeMs() - start;

            Assert.Empty(unexpected);
            // The bucket starts with 600 tokens and refills 10 a second on the server clock, wherever the engines run.
            Assert.InRange(admitted, 600, 600 + (elapsed * 600 / 60_000) + 1);
            Assert.True(refused > 0);
            Assert.InRange(longestRetryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(100));
            Assert.Equal(admitted, engines.Sum(e => e.Store.Scan("busy/").Count()));
            // The quiet agent's own bucket was never short.
            Assert.True(quietAdmitted > 0);
            Assert.Equal(quietAdmitted, engines.Sum(e => e.Store.Scan("quiet/").Count()));
        }
        finally
        {
            foreach ((PolicyEngine _, RedisRateLimitBackend backend, Database store) in engines)
            {
                backend.Dispose();
                store.Dispose();
            }
        }
    }

    [Fact]
    public void ABatchTakesOneTokenPerItemFromTheSharedLimitOrNone()
    {
        using RedisRateLimitBackend first = redis.NewBackend(RedisFixture.NewPrefix());
        using Database store = Database.OpenInMemory();
        var engine = new PolicyEngine(store, new PolicyEngineOptions { RateLimitBackend = first });
        engine.AddRateLimit(PolicyOperation.Write, 10, RateLimitRule.AgentIdScope);
        var context = new PolicyContext { AgentId = "a" };
        engine.Write(new WriteBatch().Put("1", "v").Put("2", "v").Put("3", "v").Put("4", "v").Put("5", "v").Put("6", "v"), context);
        PolicyViolationException refused = Refusals.RateLimited(() =>
            engine.Write(new WriteBatch().Put("7", "v").Put("8", "v").Put("9", "v").Put("10", "v").Put("11", "v"), context));
        // 4 tokens are left and 5 are wanted: the missing one arrives 6 s (a minute / 10) after the first batch.
        Assert.InRange(refused.RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6));
        Assert.Equal(6, store.Scan("").Count());
        // The refused batch of 5 took nothing: 4 tokens are left.
        engine.Write(new WriteBatch().Put("7", "v").Put("8", "v").Put("9", "v").Put("10", "v"), context);
        Assert.Equal(10, store.Scan("").Count());
    }
}
