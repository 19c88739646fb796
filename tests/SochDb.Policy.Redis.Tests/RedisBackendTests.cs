using StackExchange.Redis;

namespace SochDb.Policy.Redis.Tests;

/// <summary>The token-bucket semantics of the Redis backend, checked through the backend interface against a real Redis.</summary>
[Trait("Category", "Slow")]
[Collection(RedisCollection.Name)]
public sealed class RedisBackendTests(RedisFixture redis)
{
    private static RateLimitAcquisition Take(RateLimitRule limit, string? value, int tokens = 1) => new(limit, value, tokens);

    [Fact]
    public async Task ABucketStartsFullAndRefusesWithTheExactWaitOnTheServerClock()
    {
        using RedisRateLimitBackend backend = redis.NewBackend(RedisFixture.NewPrefix());
        var limit = new RateLimitRule(PolicyOperation.Write, 6, RateLimitRule.AgentIdScope); // a token every 10 s
        (RateLimitBackendResult first, long start) = await backend.TryAcquireWithTimeAsync([Take(limit, "a")]);
        Assert.True(first.IsAcquired);
        for (int i = 1; i < 6; i++)
        {
            Assert.True(backend.TryAcquire([Take(limit, "a")]).IsAcquired);
        }

        (RateLimitBackendResult refused, long at) = await backend.TryAcquireWithTimeAsync([Take(limit, "a")]);
        Assert.False(refused.IsAcquired);
        Assert.Equal(0, refused.RefusedIndex);
        // The bucket was full at `start`, gave 6 tokens and refills one every 10,000 ms from then on, so the next token
        // comes 10,000 ms after `start` (the refill of every elapsed millisecond is kept, none rounded away).
        Assert.Equal(TimeSpan.FromMilliseconds(10_000 - (at - start)), refused.RetryAfter);

        (RateLimitBackendResult again, long later) = await backend.TryAcquireWithTimeAsync([Take(limit, "a")]);
        Assert.False(again.IsAcquired);
        Assert.Equal(refused.RetryAfter - TimeSpan.FromMilliseconds(later - at), again.RetryAfter);

        // Another scope value has its own full bucket.
        Assert.True(backend.TryAcquire([Take(limit, "b", 6)]).IsAcquired);
    }

    [Fact]
    public async Task ARefusedRequestPassesOnceItsRetryAfterHasElapsed()
    {
        using RedisRateLimitBackend backend = redis.NewBackend(RedisFixture.NewPrefix());
        var limit = new RateLimitRule(PolicyOperation.All, 600); // a token every 100 ms
        Assert.True(backend.TryAcquire([Take(limit, null, 600)]).IsAcquired);
        (RateLimitBackendResult refused, long at) = await backend.TryAcquireWithTimeAsync([Take(limit, null, 2)]);
        Assert.False(refused.IsAcquired);
        Assert.InRange(refused.RetryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(200));

        long due = at + (long)refused.RetryAfter.TotalMilliseconds;
        while (redis.ServerTimeMs() < due)
        {
            await Task.Delay(5);
        }

        (RateLimitBackendResult passed, long when) = await backend.TryAcquireWithTimeAsync([Take(limit, null, 2)]);
        Assert.True(passed.IsAcquired, $"refused {when - due} ms after the RetryAfter it was given");
    }

    [Fact]
    public void ARequestRefusedByOneLimitTakesNothingFromTheOthers()
    {
        using RedisRateLimitBackend backend = redis.NewBackend(RedisFixture.NewPrefix());
        var writes = new RateLimitRule(PolicyOperation.Write, 10, RateLimitRule.AgentIdScope);
        var all = new RateLimitRule(PolicyOperation.All, 3, RateLimitRule.AgentIdScope);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(backend.TryAcquire([Take(writes, "x"), Take(all, "x")]).IsAcquired);
        }

        for (int i = 0; i < 20; i++)
        {
            RateLimitBackendResult refused = backend.TryAcquire([Take(writes, "x"), Take(all, "x")]);
            Assert.False(refused.IsAcquired);
            Assert.Equal(1, refused.RefusedIndex);
        }

        // The 20 refused requests left the write limit's 7 remaining tokens alone.
        int admitted = 0;
        while (backend.TryAcquire([Take(writes, "x")]).IsAcquired)
        {
            admitted++;
        }

        Assert.InRange(admitted, 7, 8); // 8 only if a refill token arrived (one every 6 s)
    }

    [Fact]
    public void TheLimitThatFreesUpLastIsTheOneReported()
    {
        using RedisRateLimitBackend backend = redis.NewBackend(RedisFixture.NewPrefix());
        var fast = new RateLimitRule(PolicyOperation.Write, 6000, RateLimitRule.AgentIdScope); // a token every 10 ms
        var slow = new RateLimitRule(PolicyOperation.Write, 6, RateLimitRule.SessionIdScope); // a token every 10 s
        Assert.True(backend.TryAcquire([Take(fast, "a", 6000), Take(slow, "s", 6)]).IsAcquired);
        RateLimitBackendResult refused = backend.TryAcquire([Take(fast, "a"), Take(slow, "s")]);
        Assert.Equal(1, refused.RefusedIndex);
        Assert.True(refused.RetryAfter > TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ManyEnginesContendingNeverTakeFromOneLimitWhenAnotherRefuses()
    {
        string prefix = RedisFixture.NewPrefix();
        RedisRateLimitBackend[] backends = [redis.NewBackend(prefix), redis.NewBackend(prefix), redis.NewBackend(prefix)];
        var wide = new RateLimitRule(PolicyOperation.Write, 50, RateLimitRule.AgentIdScope);
        var narrow = new RateLimitRule(PolicyOperation.All, 20, RateLimitRule.AgentIdScope);
        try
        {
            long start = redis.ServerTimeMs();
            int pairs = 0;
            await Task.WhenAll(Enumerable.Range(0, 9).Select(worker => Task.Run(async () =>
            {
                RedisRateLimitBackend backend = backends[worker % 3];
                for (int i = 0; i < 60; i++)
                {
                    if ((await backend.TryAcquireAsync(new[] { Take(wide, "agent"), Take(narrow, "agent") })).IsAcquired)
                    {
                        Interlocked.Increment(ref pairs);
                    }
                }
            }))).WaitAsync(TimeSpan.FromMinutes(2));

            int alone = 0;
            while (backends[0].TryAcquire([Take(wide, "agent")]).IsAcquired)
            {
                alone++;
            }

            long elapsed = redis.ServerTimeMs() - start;
            // The narrow limit admitted its 20 (plus its refill); 520 refused pairs took nothing from the wide one,
            // whose remaining tokens all went to the requests that asked for it alone.
            Assert.InRange(pairs, 20, 20 + 1 + (elapsed * 20 / 60_000));
            Assert.InRange(pairs + alone, 50, 50 + 1 + (elapsed * 50 / 60_000));
        }
        finally
        {
            foreach (RedisRateLimitBackend backend in backends)
            {
                backend.Dispose();
            }
        }
    }

    [Fact]
    public async Task BucketKeysExpireOnceFullSoRedisMemoryReturnsToItsBaseline()
    {
        string prefix = RedisFixture.NewPrefix();
        using RedisRateLimitBackend backend = redis.NewBackend(prefix);
        var limit = new RateLimitRule(PolicyOperation.Write, 6000, RateLimitRule.AgentIdScope); // 100 tokens a second
        long baseline = redis.UsedMemory();
        long baselineKeys = redis.KeyCount();
        const int Agents = 4000;
        for (int batch = 0; batch < Agents; batch += 100)
        {
            await Task.WhenAll(Enumerable.Range(batch, 100).Select(async agent =>
                Assert.True((await backend.TryAcquireAsync(new[] { Take(limit, $"agent-{agent:D5}-with-a-longer-name", 300) })).IsAcquired)))
                .WaitAsync(TimeSpan.FromMinutes(2));
        }

        long start = redis.ServerTimeMs();
        long peak = redis.UsedMemory();
        RedisKey[] keys = redis.KeysWithPrefix(prefix);
        Assert.True(peak > baseline + (Agents * 50), $"the buckets should take memory while they refill ({baseline} -> {peak} bytes)");
        // 300 of 6,000 tokens refill in 3,000 ms: that is each key's time to live.
        TimeSpan? ttl = redis.Database.KeyTimeToLive(backend.KeyOf(Take(limit, $"agent-{Agents - 1:D5}-with-a-longer-name")));
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(3000));
        Assert.True(keys.Length > 0);

        while (redis.KeysWithPrefix(prefix).Length > 0)
        {
            Assert.True(redis.ServerTimeMs() - start < 30_000, "bucket keys outlived their refill by far");
            await Task.Delay(200);
        }

        // Every key is gone; what memory remains above the baseline is Redis's own bookkeeping (hash tables shrink
        // lazily, reply buffers), a small fraction of what the buckets took.
        Assert.Equal(baselineKeys, redis.KeyCount());
        long after = redis.UsedMemory();
        Assert.True(after - baseline < (peak - baseline) / 4, $"used memory {baseline} -> {peak} with the buckets -> {after} after they expired");
    }

    [Fact]
    public void KeysAreUnambiguousWhateverScopesAndValuesHold()
    {
        using RedisRateLimitBackend backend = redis.NewBackend("p:");
        var agent = new RateLimitRule(PolicyOperation.Write, 10, RateLimitRule.AgentIdScope);
        var odd = new RateLimitRule(PolicyOperation.Write, 10, "item:agent_id:5");
        Assert.Equal("p:write:10:8:agent_id:-", backend.KeyOf(Take(agent, null)));
        Assert.Equal("p:write:10:8:agent_id:0:", backend.KeyOf(Take(agent, "")));
        Assert.Equal("p:write:10:8:agent_id:3:a:b", backend.KeyOf(Take(agent, "a:b")));
        Assert.NotEqual(backend.KeyOf(Take(odd, "x")), backend.KeyOf(Take(agent, "5:x")));
    }

    [Fact]
    public void TheSameLimitTwiceIsTwoBuckets()
    {
        using RedisRateLimitBackend backend = redis.NewBackend(RedisFixture.NewPrefix());
        var first = new RateLimitRule(PolicyOperation.Write, 5);
        var same = new RateLimitRule(PolicyOperation.Write, 5);
        // As in an engine's own limiter: each bucket gives its 5 tokens to the 5 requests.
        for (int i = 0; i < 5; i++)
        {
            Assert.True(backend.TryAcquire([Take(first, null), Take(same, null)]).IsAcquired);
        }

        Assert.False(backend.TryAcquire([Take(first, null), Take(same, null)]).IsAcquired);
    }

    [Fact]
    public void BadRequestsAreRefusedBeforeReachingRedis()
    {
        using RedisRateLimitBackend backend = redis.NewBackend(RedisFixture.NewPrefix());
        var limit = new RateLimitRule(PolicyOperation.Write, 5);
        Assert.Throws<ArgumentException>(() => backend.TryAcquire([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.TryAcquire([Take(limit, null, 0)]));
        Assert.Throws<ArgumentException>(() => backend.TryAcquire([new RateLimitAcquisition(null!, null, 1)]));

        RateLimitBackendResult never = backend.TryAcquire([Take(limit, null, 6)]);
        Assert.False(never.IsAcquired);
        Assert.Equal(TimeSpan.MaxValue, never.RetryAfter);
        Assert.True(backend.TryAcquire([Take(limit, null, 5)]).IsAcquired);

        Assert.Throws<ArgumentOutOfRangeException>(() => RedisRateLimitBackend.Connect(redis.Server.Configuration, new RedisRateLimitOptions { Timeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentNullException>(() => RedisRateLimitBackend.Connect(null!));
    }

    [Fact]
    public void AValueThatIsNotABucketIsReportedNotOverwritten()
    {
        string prefix = RedisFixture.NewPrefix();
        using RedisRateLimitBackend backend = redis.NewBackend(prefix);
        var limit = new RateLimitRule(PolicyOperation.Write, 5);
        string key = backend.KeyOf(Take(limit, null));
        redis.Database.StringSet(key, "something else");
        RedisRateLimitException error = Assert.Throws<RedisRateLimitException>(() => backend.TryAcquire([Take(limit, null)]));
        Assert.Contains("unexpected value", error.Message);
        Assert.Equal("something else", (string?)redis.Database.StringGet(key));
    }
}
