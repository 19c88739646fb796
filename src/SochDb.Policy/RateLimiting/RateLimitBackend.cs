using System;
using System.Threading;
using System.Threading.Tasks;

namespace SochDb.Policy;

/// <summary>
/// Where token buckets live when they must be shared beyond one process: set an instance of the Redis package's
/// <c>RedisRateLimitBackend</c> as <see cref="PolicyEngineOptions.RateLimitBackend"/>. The engine keeps the list of
/// limits; for each guarded operation it asks the backend to take the tokens of every applicable bucket at once, all or
/// none. Without a backend the engine keeps its buckets in process.
/// </summary>
/// <remarks>
/// The contract between the engine and a backend is internal to this library and its packages, so that it can change
/// without breaking callers: the backends that exist are the ones its packages ship. Semantics every backend keeps:
/// token bucket of capacity <see cref="RateLimitRule.MaxPerMinute"/>, starting full, refilled continuously at capacity
/// per minute with no fraction lost; a refused request takes no token from any bucket; the retry-after it reports is
/// exact. A backend that cannot answer throws; the engine then follows
/// <see cref="PolicyEngineOptions.RateLimitBackendFailure"/>.
/// </remarks>
public abstract class RateLimitBackend
{
    /// <summary>Only this library's packages derive backends.</summary>
    private protected RateLimitBackend()
    {
    }

    /// <summary>Takes the tokens of every acquisition, or none.</summary>
    /// <param name="acquisitions">One entry per applicable limit (at least one).</param>
    internal abstract RateLimitBackendResult TryAcquire(ReadOnlySpan<RateLimitAcquisition> acquisitions);

    /// <summary>Takes the tokens of every acquisition, or none, without blocking a thread.</summary>
    /// <param name="acquisitions">One entry per applicable limit (at least one).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    internal abstract ValueTask<RateLimitBackendResult> TryAcquireAsync(ReadOnlyMemory<RateLimitAcquisition> acquisitions, CancellationToken cancellationToken = default);
}

/// <summary>Tokens to take from one limit's bucket for one scope value.</summary>
/// <param name="Limit">The limit.</param>
/// <param name="ScopeValue">The caller's value of the limit's scope; null for the global bucket or for callers lacking the item (they share one bucket).</param>
/// <param name="Tokens">How many tokens (1 for a single operation, the item count for a batch).</param>
internal readonly record struct RateLimitAcquisition(RateLimitRule Limit, string? ScopeValue, int Tokens);

/// <summary>What a backend answered: acquired, or which acquisition refused and when it would not.</summary>
internal readonly record struct RateLimitBackendResult
{
    private RateLimitBackendResult(int refusedIndex, TimeSpan retryAfter)
    {
        RefusedIndex = refusedIndex;
        RetryAfter = retryAfter;
    }

    /// <summary>Every token was taken.</summary>
    public static RateLimitBackendResult Acquired => new(-1, TimeSpan.Zero);

    /// <summary>Nothing was taken: the acquisition at <paramref name="refusedIndex"/> lacks tokens until <paramref name="retryAfter"/> has passed.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="refusedIndex"/> or <paramref name="retryAfter"/> is negative.</exception>
    public static RateLimitBackendResult Refused(int refusedIndex, TimeSpan retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(refusedIndex);
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        return new RateLimitBackendResult(refusedIndex, retryAfter);
    }

    /// <summary>Whether every token was taken.</summary>
    public bool IsAcquired => RefusedIndex < 0;

    /// <summary>Index of the refusing acquisition (the one that frees up last), or -1.</summary>
    public int RefusedIndex { get; }

    /// <summary>How long until the refused request would be admitted.</summary>
    public TimeSpan RetryAfter { get; }
}

