using static SochDb.Policy.Tests.Engine.EngineTestKit;

namespace SochDb.Policy.Tests.Engine;

/// <summary>Registration while operations run on other threads.</summary>
public sealed class ConcurrencyTests
{
    [Trait("Category", "Slow")]
    [Fact]
    public void RulesRegisteredWhileOperationsRun_AreNeverSeenHalfRegistered_AndTheAuditCountIsExact()
    {
        using var kit = new EngineTestKit();
        const int workers = 3;
        const int operationsPerWorker = 4_000;
        const int rulesToRegister = 300;
        int[] hits = new int[rulesToRegister];
        using var start = new Barrier(workers + 1);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();

        var threads = new List<Thread>();
        for (int w = 0; w < workers; w++)
        {
            int worker = w;
            threads.Add(new Thread(() =>
            {
                var context = Agent("worker" + worker);
                Waits.Meet(start);
                try
                {
                    for (int i = 0; i < operationsPerWorker; i++)
                    {
                        string key = $"data/w{worker}/{i % 50}";
                        kit.Engine.Put(key, "v", context);
                        byte[]? value = kit.Engine.Get(key, context);
                        if (value is null || value.Length == 0)
                        {
                            throw new InvalidOperationException($"lost the value of {key}");
                        }
                    }
                }
                catch (Exception exception)
                {
                    failures.Enqueue(exception);
                }
            }));
        }

        threads.Add(new Thread(() =>
        {
            Waits.Meet(start);
            for (int r = 0; r < rulesToRegister; r++)
            {
                int rule = r;
                // Patterns alternate between the "data" dispatch group and the wildcard-first group.
                string pattern = r % 2 == 0 ? "data/**" : "*/w*/*";
                kit.Engine.BeforeWrite(pattern, (in PolicyRequest _) =>
                {
                    Interlocked.Increment(ref hits[rule]);
                    return PolicyAction.Allow;
                });
                Thread.Yield();
            }
        }));

        threads.ForEach(t => t.Start());
        Waits.Join([.. threads]);

        Assert.Empty(failures);
        Assert.Equal(rulesToRegister, kit.Engine.RuntimeRuleCount);
        Assert.Equal(workers * operationsPerWorker * 2, kit.Engine.Audit.Recent(int.MaxValue).Count);

        // Every rule, once registered, kept running: a later rule never ran more often than an earlier one.
        for (int r = 1; r < rulesToRegister; r++)
        {
            Assert.True(hits[r] <= hits[r - 1], $"rule {r} ran {hits[r]} times, rule {r - 1} only {hits[r - 1]}");
        }

        // And now every one of them runs on every write.
        int[] before = (int[])hits.Clone();
        kit.Engine.Put("data/w0/x", "v");
        Assert.All(Enumerable.Range(0, rulesToRegister), r => Assert.Equal(before[r] + 1, hits[r]));
    }
}
