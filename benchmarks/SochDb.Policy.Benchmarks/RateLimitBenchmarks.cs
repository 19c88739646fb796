using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using OurRateLimiter = SochDb.Policy.RateLimiting.RateLimiter;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// One acquire for an agent (target T5 in docs/benchmarks.md): our token buckets against System.Threading.RateLimiting's
/// PartitionedRateLimiter, partitioned by agent, and chained global + agent + session. Limits are high enough
/// that every acquire succeeds, so each call measures the allowed path.
/// </summary>
[MemoryDiagnoser]
public class RateLimitBenchmarks
{
    private const int PerMinute = int.MaxValue;
    private static readonly PolicyContext Context = new() { AgentId = "agent_001", SessionId = "session_1" };

    private OurRateLimiter _oursAgent = null!;
    private OurRateLimiter _oursChained = null!;
    private PartitionedRateLimiter<PolicyContext> _theirsAgent = null!;
    private PartitionedRateLimiter<PolicyContext> _theirsChained = null!;

    [GlobalSetup]
    public void Setup()
    {
        _oursAgent = new OurRateLimiter(TimeProvider.System);
        _oursAgent.Add(new RateLimitRule(PolicyOperation.All, PerMinute, "agent_id"));
        _oursChained = new OurRateLimiter(TimeProvider.System);
        _oursChained.Add(new RateLimitRule(PolicyOperation.All, PerMinute, "global"));
        _oursChained.Add(new RateLimitRule(PolicyOperation.All, PerMinute, "agent_id"));
        _oursChained.Add(new RateLimitRule(PolicyOperation.All, PerMinute, "session_id"));

        _theirsAgent = ByItem(c => c.AgentId);
        _theirsChained = PartitionedRateLimiter.CreateChained(ByItem(_ => "global"), ByItem(c => c.AgentId), ByItem(c => c.SessionId));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _theirsAgent.Dispose();
        _theirsChained.Dispose();
    }

    [Benchmark(Baseline = true, Description = "PartitionedRateLimiter by agent")]
    public bool TheirsAgent()
    {
        using RateLimitLease lease = _theirsAgent.AttemptAcquire(Context);
        return lease.IsAcquired;
    }

    [Benchmark(Description = "ours: per-agent bucket")]
    public bool OursAgent() => _oursAgent.TryAcquire(PolicyOperation.Write, Context, out _);

    [Benchmark(Description = "PartitionedRateLimiter chained global+agent+session")]
    public bool TheirsChained()
    {
        using RateLimitLease lease = _theirsChained.AttemptAcquire(Context);
        return lease.IsAcquired;
    }

    [Benchmark(Description = "ours: global+agent+session, atomic")]
    public bool OursChained() => _oursChained.TryAcquire(PolicyOperation.Write, Context, out _);

    private static PartitionedRateLimiter<PolicyContext> ByItem(Func<PolicyContext, string?> item) =>
        PartitionedRateLimiter.Create<PolicyContext, string>(context => RateLimitPartition.GetTokenBucketLimiter(
            item(context) ?? "absent",
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = PerMinute,
                TokensPerPeriod = PerMinute,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
}
