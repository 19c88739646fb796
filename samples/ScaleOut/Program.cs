// Two worker processes, one PostgreSQL store, one Redis: the per-agent limit holds across both.
//
//   dotnet run --project samples/ScaleOut                      starts a throwaway PostgreSQL and Redis, then two workers
//   dotnet run --project samples/ScaleOut -- <postgres> <redis>  uses servers you already run
//
// Each worker runs its own PolicyEngine over the shared store, with the shared limit "120 writes a minute per agent",
// and writes as fast as it can for agent-1 for a few seconds (agent-2 writes slowly beside it). The coordinator adds up
// what the workers admitted and checks it against the limit and the store.
using System.Diagnostics;
using SochDb;
using SochDb.Policy;
using SochDb.Policy.PostgreSql;
using SochDb.Policy.Redis;
using SochDb.Policy.TestServers;

const int LimitPerMinute = 120;
const string Table = "scaleout_sample";

if (args.Length > 0 && args[0] == "worker")
{
    return await Worker.RunAsync(args[1], args[2], args[3], new DateTime(long.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc));
}

PostgresServer? postgres = null;
RedisServer? redis = null;
try
{
    string postgresConnection;
    string redisConfiguration;
    if (args.Length >= 2)
    {
        (postgresConnection, redisConfiguration) = (args[0], args[1]);
    }
    else
    {
        Console.WriteLine("Starting a throwaway PostgreSQL and Redis...");
        postgres = PostgresServer.Start();
        redis = RedisServer.Start();
        (postgresConnection, redisConfiguration) = (postgres.ConnectionString, redis.Configuration);
    }

    await using (PostgresStore store = await PostgresStore.OpenAsync(postgresConnection, new PostgresStoreOptions { TableName = Table }))
    {
        await store.WriteAsync(store.Scan("agents/").Aggregate(new WriteBatch(), (batch, entry) => batch.Delete(entry.Key)));
    }

    // Both workers start writing at the same moment, once both processes are up.
    DateTime start = DateTime.UtcNow.AddSeconds(5);
    Process[] workers = Enumerable.Range(1, 2).Select(id => StartWorker(id, postgresConnection, redisConfiguration, start)).ToArray();
    int agent1 = 0;
    foreach (Process worker in workers)
    {
        string output = await worker.StandardOutput.ReadToEndAsync();
        await worker.WaitForExitAsync();
        Console.Write(output);
        if (worker.ExitCode != 0)
        {
            Console.Error.WriteLine($"a worker failed (exit code {worker.ExitCode}): {await worker.StandardError.ReadToEndAsync()}");
            return 1;
        }

        agent1 += int.Parse(output.Split("admitted=")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    // The workers wrote for at most this long; the bucket refills 2 tokens a second on top of its 120.
    double elapsed = (DateTime.UtcNow - start).TotalSeconds;
    int ceiling = LimitPerMinute + (int)Math.Ceiling(elapsed * LimitPerMinute / 60) + 1;
    await using PostgresStore check = await PostgresStore.OpenAsync(postgresConnection, new PostgresStoreOptions { TableName = Table });
    int stored = check.Scan("agents/agent-1/").Count();
    Console.WriteLine($"agent-1: {agent1} writes admitted by the two workers together, {stored} in PostgreSQL; " +
        $"the shared limit allows {LimitPerMinute} + refill, at most {ceiling} in {elapsed:0.0} s.");
    bool holds = agent1 >= LimitPerMinute && agent1 <= ceiling && stored == agent1;
    Console.WriteLine(holds ? "The per-agent limit held across both workers." : "The per-agent limit did NOT hold.");
    return holds ? 0 : 1;
}
finally
{
    redis?.Dispose();
    postgres?.Dispose();
}

static Process StartWorker(int id, string postgres, string redis, DateTime start)
{
    var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
    {
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ScaleOut.dll"));
    }

    foreach (string argument in new[] { "worker", id.ToString(System.Globalization.CultureInfo.InvariantCulture), postgres, redis, start.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) })
    {
        info.ArgumentList.Add(argument);
    }

    return Process.Start(info)!;
}

/// <summary>One worker process: its own engine over the shared store and the shared limits.</summary>
internal static class Worker
{
    public static async Task<int> RunAsync(string id, string postgresConnection, string redisConfiguration, DateTime start)
    {
        await using PostgresStore store = await PostgresStore.OpenAsync(postgresConnection, new PostgresStoreOptions { TableName = "scaleout_sample" });
        await using RedisRateLimitBackend limits = RedisRateLimitBackend.Connect(redisConfiguration);
        var engine = new PolicyEngine(store, new PolicyEngineOptions { RateLimitBackend = limits });
        engine.AddRateLimit(PolicyOperation.Write, 120, RateLimitRule.AgentIdScope);

        var busy = new PolicyContext { AgentId = "agent-1" };
        var quiet = new PolicyContext { AgentId = "agent-2" };
        int admitted = 0, refused = 0, quietAdmitted = 0;
        if (start > DateTime.UtcNow)
        {
            await Task.Delay(start - DateTime.UtcNow);
        }

        DateTime end = DateTime.UtcNow.AddSeconds(4);
        DateTime nextQuiet = DateTime.UtcNow;
        for (int n = 0; DateTime.UtcNow < end; n++)
        {
            try
            {
                await engine.PutAsync($"agents/agent-1/notes/{id}-{n}", "note", busy);
                admitted++;
            }
            catch (PolicyViolationException e) when (e.Cause == PolicyRefusalCause.RateLimited)
            {
                refused++;
            }

            if (DateTime.UtcNow >= nextQuiet)
            {
                // Four writes a second: well within agent-2's own 120 a minute, whatever agent-1 does.
                nextQuiet = nextQuiet.AddMilliseconds(250);
                await engine.PutAsync($"agents/agent-2/notes/{id}-{n}", "note", quiet);
                quietAdmitted++;
            }
        }

        Console.WriteLine($"worker {id} (pid {Environment.ProcessId}): agent-1 admitted={admitted} refused={refused}; agent-2 admitted={quietAdmitted} (never refused)");
        return 0;
    }
}
