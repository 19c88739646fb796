using System.Diagnostics;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// The worst single operation while the limiter sweeps a million idle buckets: a million agents each put once, the
/// clock moves past the sweep interval, then one agent's puts are timed one by one until the sweep is over (and as many
/// again after it, for comparison). Run: <c>dotnet run -c Release --project benchmarks/SochDb.Policy.Benchmarks -- sweep-latency</c>.
/// </summary>
public static class SweepLatency
{
    public static void Run()
    {
        var clock = new ManualClock();
        var engine = new PolicyEngine(new NullStore(), new PolicyEngineOptions { TimeProvider = clock });
        engine.AddRateLimit(PolicyOperation.Write, int.MaxValue, "agent_id");
        byte[] key = "k"u8.ToArray();
        for (int i = 0; i < 1_000_000; i++)
        {
            engine.Put(key, key, new PolicyContext { AgentId = "agent-" + i });
        }

        var probe = new PolicyContext { AgentId = "probe" };
        for (int i = 0; i < 10_000; i++)
        {
            engine.Put(key, key, probe); // warm up the timed path
        }

        clock.Advance(TimeSpan.FromSeconds(61));
        var during = new List<double>();
        int gcBefore = GC.CollectionCount(0);
        int worstAt = 0;
        int worstGcs = 0;
        while (engine.RateLimiter.IsSweeping || during.Count == 0)
        {
            int gcs = GC.CollectionCount(0);
            during.Add(TimeOne(engine, key, probe));
            if (during[^1] >= during[worstAt])
            {
                worstAt = during.Count - 1;
                worstGcs = GC.CollectionCount(0) - gcs;
            }
        }

        Console.WriteLine($"worst put: #{worstAt} of {during.Count}, garbage collections during it: {worstGcs}; during the sweep: {GC.CollectionCount(0) - gcBefore}");

        var after = new List<double>();
        for (int i = 0; i < during.Count; i++)
        {
            after.Add(TimeOne(engine, key, probe));
        }

        Console.WriteLine($"buckets left after the sweep: {engine.RateLimiter.BucketCount}");
        Report("during the sweep", during);
        Report("after the sweep ", after);
    }

    private static double TimeOne(PolicyEngine engine, byte[] key, PolicyContext context)
    {
        long start = Stopwatch.GetTimestamp();
        engine.Put(key, key, context);
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static void Report(string label, List<double> micros)
    {
        double[] sorted = [.. micros.Order()];
        Console.WriteLine(
            $"{label}: {sorted.Length} puts, median {sorted[sorted.Length / 2]:F2} us, p99.9 {sorted[(int)(sorted.Length * 0.999)]:F2} us, "
            + $"five worst {string.Join(" / ", sorted[^5..].Reverse().Select(v => v.ToString("F0")))} us, total {sorted.Sum() / 1000:F1} ms");
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = Stopwatch.Frequency;

        public override long TimestampFrequency => Stopwatch.Frequency;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(Interlocked.Read(ref _ticks));

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, (long)(by.TotalSeconds * Stopwatch.Frequency));
    }
}
