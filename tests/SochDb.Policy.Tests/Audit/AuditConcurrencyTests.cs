namespace SochDb.Policy.Tests.Audit;

/// <summary>Many threads writing audited operations: every entry complete and present once, the chain intact.</summary>
public sealed class AuditConcurrencyTests
{
    [Fact]
    public void ConcurrentWritersFromManyThreads_LeaveCompleteEntries_AndAnIntactChain()
    {
        using var kit = new AuditTestKit(sink => new AuditOptions { Sinks = [sink], QueueCapacity = 256, MaxBatchSize = 64 });
        const int threads = 8;
        const int perThread = 1_500;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var context = new PolicyContext { AgentId = "agent-" + t, SessionId = "session-" + t };
            for (int i = 0; i < perThread; i++)
            {
                kit.Engine.Put($"agent-{t}/{new string('x', i % 50)}/{i}", "v", context);
            }
        });

        List<AuditEntry> records = kit.Records();
        Assert.Equal(threads * perThread, records.Count);
        Assert.Equal(Enumerable.Range(1, threads * perThread).Select(i => (long)i), records.Select(r => r.Sequence));
        Assert.Equal(threads * perThread, records.Select(r => r.Key).Distinct().Count());
        foreach (AuditEntry record in records)
        {
            // Never torn: the key, the agent and the session belong to the same writer.
            string agent = record.AgentId!;
            Assert.StartsWith(agent + "/", record.Key);
            Assert.Equal(agent.Replace("agent", "session"), record.SessionId);
        }

        for (int t = 0; t < threads; t++)
        {
            // Each writer's own entries keep its order.
            List<int> mine = records.Where(r => r.AgentId == "agent-" + t).Select(r => int.Parse(r.Key.Split('/')[^1])).ToList();
            Assert.Equal(Enumerable.Range(0, perThread), mine);
        }

        AuditVerification verification = kit.Engine.Audit.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        Assert.Equal(threads * perThread, verification.EntriesChecked);
    }
}
