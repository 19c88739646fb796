using SochDb.Policy.TestServers;

namespace SochDb.Policy.Redis.Tests;

/// <summary>Redis killed in the middle of a run, on a server of its own.</summary>
[Trait("Category", "Slow")]
public sealed class RedisOutageTests : IDisposable
{
    private readonly RedisServer _server = RedisServer.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task ChecksThrowAClearErrorWhileRedisIsDownAndWorkAgainWhenItReturns()
    {
        using RedisRateLimitBackend backend = RedisRateLimitBackend.Connect(_server.Configuration, new RedisRateLimitOptions { Timeout = TimeSpan.FromSeconds(2) });
        var limit = new RateLimitRule(PolicyOperation.Write, 3, RateLimitRule.AgentIdScope);
        RateLimitAcquisition[] one = [new(limit, "a", 1)];
        Assert.True(backend.TryAcquire(one).IsAcquired);

        _server.Kill();
        RedisRateLimitException sync = Assert.Throws<RedisRateLimitException>(() => backend.TryAcquire(one));
        Assert.Contains(_server.Configuration, sync.Message);
        RedisRateLimitException async = await Assert.ThrowsAsync<RedisRateLimitException>(async () => await backend.TryAcquireAsync(one));
        Assert.NotNull(async.InnerException);

        _server.Restart();
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        RateLimitBackendResult? back = null;
        while (back is null)
        {
            try
            {
                back = backend.TryAcquire(one);
            }
            catch (RedisRateLimitException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        // The new Redis is empty (and has not seen the script): a full bucket, then the limit holds again.
        Assert.True(back.Value.IsAcquired);
        Assert.True((await backend.TryAcquireAsync(new[] { new RateLimitAcquisition(limit, "a", 2) })).IsAcquired);
        Assert.False(backend.TryAcquire(one).IsAcquired);
    }
}
