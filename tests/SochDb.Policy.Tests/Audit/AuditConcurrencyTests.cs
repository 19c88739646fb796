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

        List<AuditRecord> records = kit.Records();
        Assert.Equal(threads * perThread, records.Count);
        Assert.Equal(Enumerable.Range(1, threads * perThread).Select(i => (long)i), records.Select(r => r.Id));
        Assert.Equal(threads * perThread, records.Select(r => r.Entry.Key).Distinct().Count());
        foreach (AuditRecord record in records)
        {
            // Never torn: the key, the agent and the session belong to the same writer.
            string agent = record.Entry.AgentId!;
            Assert.StartsWith(agent + "/", record.Entry.Key);
            Assert.Equal(agent.Replace("agent", "session"), record.Entry.SessionId);
        }

        for (int t = 0; t < threads; t++)
        {
            // Each writer's own entries keep its order.
            List<int> mine = records.Where(r => r.Entry.AgentId == "agent-" + t).Select(r => int.Parse(r.Entry.Key.Split('/')[^1])).ToList();
            Assert.Equal(Enumerable.Range(0, perThread), mine);
        }

        AuditVerification verification = kit.Engine.Audit.Verify();
        Assert.True(verification.IsIntact, verification.ToString());
        Assert.Equal(threads * perThread, verification.EntriesChecked);
    }
}
