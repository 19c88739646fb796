using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SochDb.Policy.Redis;

/// <summary>
/// Token buckets kept in Redis, shared by every engine pointed at the same Redis, database and
/// <see cref="RedisRateLimitOptions.KeyPrefix"/>. Give it to an engine through
/// <see cref="PolicyEngineOptions.RateLimitBackend"/>.
/// </summary>
/// <remarks>
/// <para>
/// Each check is one Lua script, one round trip: it reads every applicable bucket, refills it on the Redis server's
/// clock (<c>TIME</c>, so application machines need not agree on the time), and takes the tokens from all of them or,
/// when one lacks tokens, from none. Refill is continuous and exact (integer units, no fraction lost), the same
/// arithmetic as the engine's in-process buckets; the retry-after it reports is exact to the
/// millisecond. A bucket key expires when the bucket would be full again (a full bucket and a missing key mean the
/// same), so Redis holds keys only for recently active scope values.
/// </para>
/// <para>
/// When Redis does not answer within <see cref="RedisRateLimitOptions.Timeout"/>, or the connection is down, the
/// call throws <see cref="RedisRateLimitException"/>; the engine then follows
/// <see cref="PolicyEngineOptions.RateLimitBackendFailure"/>. Thread-safe.
/// </para>
/// </remarks>
public sealed class RedisRateLimitBackend : RateLimitBackend, IDisposable, IAsyncDisposable
{
    private static readonly string Script = LoadScript();
    private static readonly byte[] ScriptHash = SHA1.HashData(Encoding.UTF8.GetBytes(Script));

    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly IDatabase _database;
    private readonly BucketKeys _keys;
    private readonly TimeSpan _timeout;

    /// <summary>Uses a connection the application already has (it stays the application's to dispose).</summary>
    /// <param name="redis">The connection.</param>
    /// <param name="options">Key prefix, timeout and database; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="redis"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is not valid.</exception>
    public RedisRateLimitBackend(IConnectionMultiplexer redis, RedisRateLimitOptions? options = null)
        : this(redis, options ?? new RedisRateLimitOptions(), ownsConnection: false)
    {
    }

    private RedisRateLimitBackend(IConnectionMultiplexer redis, RedisRateLimitOptions options, bool ownsConnection)
    {
        ArgumentNullException.ThrowIfNull(redis);
        options.Validate();
        _redis = redis;
        _ownsConnection = ownsConnection;
        _database = redis.GetDatabase(options.Database);
        _keys = new BucketKeys(options.KeyPrefix);
        _timeout = options.Timeout;
    }

    /// <summary>
    /// Opens a connection of its own (disposed with the backend), tuned for a limit check: synchronous and asynchronous
    /// timeouts of <see cref="RedisRateLimitOptions.Timeout"/> (connecting may take up to 5 s); commands fail at once while disconnected
    /// instead of queueing; reconnects in the background. Returns even when Redis is not reachable yet (checks then
    /// throw until it is).
    /// </summary>
    /// <param name="configuration">A StackExchange.Redis configuration string, for example <c>localhost:6379</c>.</param>
    /// <param name="options">Key prefix, timeout and database; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="configuration"/> is null.</exception>
    /// <exception cref="ArgumentException">The configuration string or an option is not valid.</exception>
    public static RedisRateLimitBackend Connect(string configuration, RedisRateLimitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        options ??= new RedisRateLimitOptions();
        options.Validate();
        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The Redis configuration string is not valid: {e.Message}", nameof(configuration), e);
        }

        int timeout = (int)Math.Ceiling(options.Timeout.TotalMilliseconds);
        config.AbortOnConnectFail = false;
        // Connecting (a TCP and a HELLO round trip) may take longer than one check on a busy machine.
        config.ConnectTimeout = Math.Max(timeout, 5000);
        config.SyncTimeout = timeout;
        config.AsyncTimeout = timeout;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ReconnectRetryPolicy = new LinearRetry(250);
        ConnectionMultiplexer redis = ConnectionMultiplexer.Connect(config);
        return new RedisRateLimitBackend(redis, options, ownsConnection: true);
    }

    /// <inheritdoc />
    /// <exception cref="RedisRateLimitException">Redis did not answer in time, is unreachable, or refused the script.</exception>
    internal override RateLimitBackendResult TryAcquire(ReadOnlySpan<RateLimitAcquisition> acquisitions)
    {
        (RedisKey[] keys, RedisValue[] arguments) = Arguments(acquisitions);
        return ToResult(Evaluate(keys, arguments), acquisitions.Length).Result;
    }

    /// <inheritdoc />
    /// <exception cref="RedisRateLimitException">Redis did not answer in time, is unreachable, or refused the script.</exception>
    internal override ValueTask<RateLimitBackendResult> TryAcquireAsync(ReadOnlyMemory<RateLimitAcquisition> acquisitions, CancellationToken cancellationToken = default)
    {
        (RedisKey[] keys, RedisValue[] arguments) = Arguments(acquisitions.Span);
        return Complete(EvaluateAsync(keys, arguments, cancellationToken), acquisitions.Length);

        static async ValueTask<RateLimitBackendResult> Complete(Task<RedisResult> evaluation, int count) =>
            ToResult(await evaluation.ConfigureAwait(false), count).Result;
    }

    /// <summary>The check, with the Redis server time (ms since the Unix epoch) at which it was decided.</summary>
    internal async Task<(RateLimitBackendResult Result, long ServerTimeMs)> TryAcquireWithTimeAsync(RateLimitAcquisition[] acquisitions)
    {
        (RedisKey[] keys, RedisValue[] arguments) = Arguments(acquisitions);
        return ToResult(await EvaluateAsync(keys, arguments, CancellationToken.None).ConfigureAwait(false), acquisitions.Length);
    }

    /// <summary>The Redis key of the bucket of <paramref name="acquisition"/> (its first occurrence in a request).</summary>
    internal string KeyOf(RateLimitAcquisition acquisition) => _keys.For(acquisition.Limit, acquisition.ScopeValue);

    /// <summary>Closes the connection if <see cref="Connect"/> opened it.</summary>
    public void Dispose()
    {
        if (_ownsConnection)
        {
            _redis.Dispose();
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync() => _ownsConnection ? _redis.DisposeAsync() : default;

    private (RedisKey[] Keys, RedisValue[] Arguments) Arguments(ReadOnlySpan<RateLimitAcquisition> acquisitions)
    {
        if (acquisitions.IsEmpty)
        {
            throw new ArgumentException("At least one acquisition is needed.", nameof(acquisitions));
        }

        var keys = new RedisKey[acquisitions.Length];
        var arguments = new RedisValue[acquisitions.Length * 2];
        for (int i = 0; i < acquisitions.Length; i++)
        {
            RateLimitAcquisition acquisition = acquisitions[i];
            if (acquisition.Limit is null)
            {
                throw new ArgumentException($"Acquisition {i} has no limit.", nameof(acquisitions));
            }

            if (acquisition.Tokens < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(acquisitions), acquisition.Tokens, $"Acquisition {i} asks for {acquisition.Tokens} tokens; at least 1 is needed.");
            }

            string bucket = _keys.For(acquisition.Limit, acquisition.ScopeValue);
            string key = bucket;
            // The same limit listed twice is two buckets in an engine's own limiter; keep them two here too.
            for (int copy = 2; Array.IndexOf(keys, (RedisKey)key, 0, i) >= 0; copy++)
            {
                key = bucket + "#" + copy.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            keys[i] = key;
            arguments[2 * i] = acquisition.Limit.MaxPerMinute;
            arguments[(2 * i) + 1] = acquisition.Tokens;
        }

        return (keys, arguments);
    }

    private RedisResult Evaluate(RedisKey[] keys, RedisValue[] arguments)
    {
        // The asynchronous call with a bounded wait: the timeout holds whatever connection the application gave us.
        Task<RedisResult> evaluation = _database.ScriptEvaluateAsync(ScriptHash, keys, arguments);
        if (Wait(evaluation, keys))
        {
            return evaluation.Result;
        }

        // NOSCRIPT: Redis restarted and forgot the script; EVAL loads it again.
        Task<RedisResult> reload = _database.ScriptEvaluateAsync(Script, keys, arguments);
        return Wait(reload, keys) ? reload.Result : throw Unavailable("does not accept the script", keys, reload.Exception?.InnerException);
    }

    /// <summary>Waits for <paramref name="evaluation"/>; false when Redis no longer knew the script (it restarted).</summary>
    private bool Wait(Task<RedisResult> evaluation, RedisKey[] keys)
    {
        try
        {
            if (!evaluation.Wait(_timeout))
            {
                Observe(evaluation);
                throw Unavailable($"did not answer within {_timeout.TotalMilliseconds:0} ms", keys, null);
            }

            return true;
        }
        catch (AggregateException e) when (e.InnerException is RedisServerException noScript && IsNoScript(noScript))
        {
            return false;
        }
        catch (AggregateException e) when (e.InnerException is RedisException or TimeoutException)
        {
            throw Unavailable("failed", keys, e.InnerException);
        }
    }

    private async Task<RedisResult> EvaluateAsync(RedisKey[] keys, RedisValue[] arguments, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                return await WaitAsync(_database.ScriptEvaluateAsync(ScriptHash, keys, arguments), keys, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (IsNoScript(e))
            {
                // EVAL loads the script again after a Redis restart emptied its script cache.
                return await WaitAsync(_database.ScriptEvaluateAsync(Script, keys, arguments), keys, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable("failed", keys, e);
        }
    }

    private async Task<RedisResult> WaitAsync(Task<RedisResult> evaluation, RedisKey[] keys, CancellationToken cancellationToken)
    {
        try
        {
            return await evaluation.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!evaluation.IsCompleted)
        {
            Observe(evaluation);
            throw Unavailable($"did not answer within {_timeout.TotalMilliseconds:0} ms", keys, null);
        }
        catch (OperationCanceledException) when (!evaluation.IsCompleted)
        {
            Observe(evaluation);
            throw;
        }
    }

    private static bool IsNoScript(RedisServerException e) => e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);

    /// <summary>A reply that arrives after we stopped waiting is dropped without an unobserved-task warning.</summary>
    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private RedisRateLimitException Unavailable(string what, RedisKey[] keys, Exception? inner) =>
        new($"The Redis rate-limit backend ({_redis.Configuration}) {what} while checking {keys.Length} limit(s) (first bucket '{keys[0]}')" +
            (inner is null ? "." : $": {inner.Message}"), inner);

    private static (RateLimitBackendResult Result, long ServerTimeMs) ToResult(RedisResult reply, int count)
    {
        long[]? values = (long[]?)reply;
        if (values is not { Length: 3 } || values[0] < 0 || values[0] > count)
        {
            throw new RedisRateLimitException($"The Redis rate-limit script answered something unexpected: {reply}.", null);
        }

        if (values[0] == 0)
        {
            return (RateLimitBackendResult.Acquired, values[2]);
        }

        // -1: the request wants more tokens than the bucket holds when full, so waiting never helps.
        TimeSpan retryAfter = values[1] < 0 ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(values[1]);
        return (RateLimitBackendResult.Refused((int)values[0] - 1, retryAfter), values[2]);
    }

    private static string LoadScript()
    {
        using Stream stream = typeof(RedisRateLimitBackend).Assembly.GetManifestResourceStream("SochDb.Policy.Redis.TokenBuckets.lua")
            ?? throw new InvalidOperationException("The token-bucket script is missing from the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
