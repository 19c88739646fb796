using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RedisRateLimiting;
using SochDb.Policy.Redis;
using StackExchange.Redis;

namespace SochDb.Policy.ScaleOut.Benchmarks;

/// <summary>
/// T10: a shared-limit check against one Redis, ours against RedisRateLimiting's token bucket, on the same server and
/// the same connection settings. Limits are large, so every request is admitted: this measures the check, not refusals.
/// "One limit": one bucket per request. "Three limits": global + per agent + per session; ours checks them in one script
/// (one round trip, atomic), RedisRateLimiting needs one limiter, and one round trip, per limit (and is not atomic).
/// "x32": 32 requests in flight at once from one process (throughput rather than latency).
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RedisRateLimitBenchmarks
{
    private const int Huge = 1_000_000_000;
    private const int InFlight = 32;

    private ConnectionMultiplexer _connection = null!;
    private RedisRateLimitBackend _ours = null!;
    private RateLimitAcquisition[] _one = null!;
    private RateLimitAcquisition[] _three = null!;
    private RateLimiter _theirsAgent = null!;
    private RateLimiter _theirsGlobal = null!;
    private RateLimiter _theirsSession = null!;

    [GlobalSetup]
    public void Setup()
    {
        _connection = ConnectionMultiplexer.Connect(Servers.Redis.Configuration);
        _ours = new RedisRateLimitBackend(_connection, new RedisRateLimitOptions { KeyPrefix = "bench:ours:", Timeout = TimeSpan.FromSeconds(5) });
        _one = [new(new RateLimitRule(PolicyOperation.Write, Huge, RateLimitRule.AgentIdScope), "agent-1", 1)];
        _three =
        [
            new(new RateLimitRule(PolicyOperation.All, Huge), null, 1),
            new(new RateLimitRule(PolicyOperation.Write, Huge, RateLimitRule.AgentIdScope), "agent-1", 1),
            new(new RateLimitRule(PolicyOperation.Write, Huge, RateLimitRule.SessionIdScope), "session-1", 1),
        ];
        _theirsAgent = Theirs("bench:theirs:agent-1");
        _theirsGlobal = Theirs("bench:theirs:global");
        _theirsSession = Theirs("bench:theirs:session-1");
    }

    private RateLimiter Theirs(string partition) => new RedisTokenBucketRateLimiter<string>(partition, new RedisTokenBucketRateLimiterOptions
    {
        ConnectionMultiplexerFactory = () => _connection,
        TokenLimit = Huge,
        TokensPerPeriod = Huge,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
    });

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        _connection.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("One limit")]
    public async Task<bool> RedisRateLimiting_OneLimit()
    {
        using RateLimitLease lease = await _theirsAgent.AcquireAsync(1);
        return lease.IsAcquired;
    }

    [Benchmark, BenchmarkCategory("One limit")]
    public async Task<bool> Ours_OneLimit() => (await _ours.TryAcquireAsync(_one)).IsAcquired;

    [Benchmark(Baseline = true), BenchmarkCategory("Three limits")]
    public async Task<bool> RedisRateLimiting_ThreeLimits()
    {
        using RateLimitLease global = await _theirsGlobal.AcquireAsync(1);
        using RateLimitLease agent = await _theirsAgent.AcquireAsync(1);
        using RateLimitLease session = await _theirsSession.AcquireAsync(1);
        return global.IsAcquired && agent.IsAcquired && session.IsAcquired;
    }

    [Benchmark, BenchmarkCategory("Three limits")]
    public async Task<bool> Ours_ThreeLimits() => (await _ours.TryAcquireAsync(_three)).IsAcquired;

    [Benchmark(Baseline = true, OperationsPerInvoke = InFlight), BenchmarkCategory("One limit x32")]
    public Task RedisRateLimiting_OneLimit_x32() => Many(RedisRateLimiting_OneLimit);

    [Benchmark(OperationsPerInvoke = InFlight), BenchmarkCategory("One limit x32")]
    public Task Ours_OneLimit_x32() => Many(Ours_OneLimit);

    private static Task Many(Func<Task<bool>> check)
    {
        var all = new Task[InFlight];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = check();
        }

        return Task.WhenAll(all);
    }
}
