using SochDb.Policy.TestServers;

namespace SochDb.Policy.ScaleOut.Benchmarks;

/// <summary>
/// One throwaway PostgreSQL and one Redis per benchmark process, started on first use, stopped when the process ends.
/// Every benchmark and its baseline in a process therefore run against the same server.
/// </summary>
internal static class Servers
{
    private static readonly Lazy<PostgresServer> LazyPostgres = new(() => Track(PostgresServer.Start()));
    private static readonly Lazy<RedisServer> LazyRedis = new(() => Track(RedisServer.Start()));
    private static readonly List<IDisposable> Started = new();

    static Servers() => AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();

    public static PostgresServer Postgres => LazyPostgres.Value;

    public static RedisServer Redis => LazyRedis.Value;

    public static void StopAll()
    {
        lock (Started)
        {
            foreach (IDisposable server in Started)
            {
                server.Dispose();
            }

            Started.Clear();
        }
    }

    private static T Track<T>(T server)
        where T : IDisposable
    {
        lock (Started)
        {
            Started.Add(server);
        }

        return server;
    }
}
