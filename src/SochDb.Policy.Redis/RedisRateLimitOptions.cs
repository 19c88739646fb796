using System;

namespace SochDb.Policy.Redis;

/// <summary>Options of <see cref="RedisRateLimitBackend"/>.</summary>
public sealed record RedisRateLimitOptions
{
    /// <summary>
    /// Prepended to every bucket key; default <c>sochdb:rl:</c>. Engines share buckets when they use the same Redis,
    /// database and prefix. On Redis Cluster, put a hash tag in it (<c>{sochdb}:rl:</c>) so the buckets of one
    /// request live in one slot, as a script touching several keys requires.
    /// </summary>
    public string KeyPrefix { get; init; } = "sochdb:rl:";

    /// <summary>
    /// How long one check may take before the backend gives up and throws (the engine then follows its failure
    /// policy); default 500 ms. Also the synchronous and asynchronous timeouts of a connection that
    /// <see cref="RedisRateLimitBackend.Connect"/> opens.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The Redis database number; default -1 (the connection's default database).</summary>
    public int Database { get; init; } = -1;

    internal void Validate()
    {
        if (KeyPrefix is null)
        {
            throw new ArgumentException("KeyPrefix must not be null (use an empty string for none).", "options");
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException("options", Timeout, "Timeout must be positive and at most 5 minutes.");
        }
    }
}
