using SochDb.Policy.TestServers;
using StackExchange.Redis;

namespace SochDb.Policy.Redis.Tests;

/// <summary>One throwaway Redis for the tests of this assembly that share it, stopped when they end.</summary>
public sealed class RedisFixture : IDisposable
{
    public RedisFixture()
    {
        Server = RedisServer.Start();
        Connection = ConnectionMultiplexer.Connect(Server.Configuration + ",allowAdmin=true");
    }

    public RedisServer Server { get; }

    /// <summary>A connection for looking at Redis from the side (not one the backends under test use).</summary>
    public ConnectionMultiplexer Connection { get; }

    public IDatabase Database => Connection.GetDatabase();

    /// <summary>A backend with a connection of its own and a key prefix no other test uses (or <paramref name="prefix"/>).</summary>
    public RedisRateLimitBackend NewBackend(string prefix) =>
        RedisRateLimitBackend.Connect(Server.Configuration, new RedisRateLimitOptions { KeyPrefix = prefix, Timeout = TimeSpan.FromSeconds(5) });

    public static string NewPrefix() => $"t{Guid.NewGuid():N}:";

    /// <summary>The Redis server clock, in milliseconds since the Unix epoch (what the script reads).</summary>
    public long ServerTimeMs()
    {
        RedisResult[] time = (RedisResult[])Database.Execute("TIME")!;
        return ((long)time[0] * 1000) + ((long)time[1] / 1000);
    }

    public RedisKey[] KeysWithPrefix(string prefix) =>
        Connection.GetServer(Server.Configuration).Keys(pattern: prefix + "*", pageSize: 1000).ToArray();

    public long KeyCount() => Connection.GetServer(Server.Configuration).DatabaseSize();

    public long UsedMemory()
    {
        string info = Database.Execute("INFO", "memory").ToString()!;
        string line = info.Split('\n').First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
        return long.Parse(line["used_memory:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        Connection.Dispose();
        Server.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}
