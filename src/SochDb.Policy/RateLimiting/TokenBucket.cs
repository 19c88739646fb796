using System;
using System.Runtime.CompilerServices;

namespace SochDb.Policy.RateLimiting;

/// <summary>
/// One token bucket in exact integer arithmetic. Time is measured in timestamp ticks of the engine's
/// <see cref="TimeProvider"/>; a token is split into <c>U = 60 × TimestampFrequency</c> units, and every elapsed tick
/// adds <c>capacity</c> units (capacity tokens a minute). Whole tokens and the leftover units are kept apart, so no
/// fraction of a token is ever rounded away. Not thread-safe: <see cref="RateLimiter"/> guards it.
/// </summary>
internal sealed class TokenBucket
{
    public TokenBucket(long capacity, long timestamp, string? scopeValue)
    {
        Tokens = capacity;
        Timestamp = timestamp;
        ScopeValue = scopeValue;
    }

    /// <summary>The scope value this bucket counts for (null: the global or the absent bucket).</summary>
    public string? ScopeValue { get; }

    /// <summary>Where the bucket sits in its limit's sweep list (per-value buckets only).</summary>
    public int SweepIndex { get; set; }

    /// <summary>Whole tokens available.</summary>
    public long Tokens { get; private set; }

    /// <summary>Units (of <c>U</c> per token) accumulated towards the next token; always below <c>U</c>.</summary>
    public long Partial { get; private set; }

    /// <summary>When <see cref="Tokens"/> and <see cref="Partial"/> were last brought up to date.</summary>
    public long Timestamp { get; private set; }

    /// <summary>Brings the bucket up to <paramref name="now"/> and takes a token if it then holds one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTake(long now, in BucketShape shape)
    {
        // The usual cases, inline: no time has passed (the clock ticks in milliseconds), or the bucket is full.
        long elapsed = now - Timestamp;
        if (elapsed > 0)
        {
            Timestamp = now;
            if (Tokens < shape.Capacity)
            {
                Accrue(elapsed, shape);
            }
        }

        if (Tokens >= 1)
        {
            Tokens--;
            return true;
        }

        return false;
    }

    /// <summary>Brings the bucket up to <paramref name="now"/>.</summary>
    public void Refill(long now, in BucketShape shape)
    {
        long elapsed = now - Timestamp;
        if (elapsed <= 0)
        {
            return;
        }

        Timestamp = now;
        if (Tokens >= shape.Capacity)
        {
            return;
        }

        Accrue(elapsed, shape);
    }

    /// <summary>
    /// What the bucket would hold at <paramref name="now"/>, without changing it: whole tokens, and timestamp ticks until
    /// the next token (0 when one is available).
    /// </summary>
    public (long Tokens, long TicksUntilToken) Peek(long now, in BucketShape shape)
    {
        var copy = new TokenBucket(shape.Capacity, Timestamp, ScopeValue) { Tokens = Tokens, Partial = Partial };
        copy.Refill(now, shape);
        return (copy.Tokens, copy.TicksUntilToken(shape));
    }

    /// <summary>Adds the units of <paramref name="elapsed"/> ticks to a bucket below capacity.</summary>
    private void Accrue(long elapsed, in BucketShape shape)
    {
        if (elapsed >= shape.TicksToFill)
        {
            Tokens = shape.Capacity;
            Partial = 0;
            return;
        }

        long gained;
        long partial;
        if (elapsed <= shape.MaxFastElapsed)
        {
            long units = Partial + (elapsed * shape.Capacity);
            gained = Math.DivRem(units, shape.UnitsPerToken, out partial);
        }
        else
        {
            // Only reachable with enormous capacities on a fine clock; exact all the same.
            Int128 units = (Int128)Partial + ((Int128)elapsed * shape.Capacity);
            (Int128 quotient, Int128 remainder) = Int128.DivRem(units, shape.UnitsPerToken);
            gained = (long)quotient;
            partial = (long)remainder;
        }

        Tokens += gained;
        Partial = partial;
        if (Tokens >= shape.Capacity)
        {
            Tokens = shape.Capacity;
            Partial = 0;
        }
    }

    /// <summary>Takes one token; the caller checked <see cref="Tokens"/> first.</summary>
    public void Take() => Tokens--;

    /// <summary>Takes <paramref name="count"/> tokens; the caller checked <see cref="Tokens"/> first.</summary>
    public void Take(long count) => Tokens -= count;

    /// <summary>Whether the bucket, brought up to <paramref name="now"/>, would be full (and so is indistinguishable from a new one).</summary>
    public bool IsFullAt(long now, in BucketShape shape)
    {
        Refill(now, shape);
        return Tokens >= shape.Capacity;
    }

    /// <summary>Timestamp ticks until <paramref name="count"/> whole tokens are available (at most the capacity).</summary>
    public long TicksUntilTokens(long count, in BucketShape shape)
    {
        if (Tokens >= count)
        {
            return 0;
        }

        Int128 missing = ((Int128)(count - Tokens) * shape.UnitsPerToken) - Partial;
        return (long)((missing + shape.Capacity - 1) / shape.Capacity);
    }

    /// <summary>Timestamp ticks until the next whole token (0 when one is available).</summary>
    public long TicksUntilToken(in BucketShape shape)
    {
        if (Tokens > 0)
        {
            return 0;
        }

        long missing = shape.UnitsPerToken - Partial;
        return (missing + shape.Capacity - 1) / shape.Capacity;
    }
}

/// <summary>The constants of a bucket: capacity and the unit arithmetic for one clock.</summary>
internal readonly struct BucketShape
{
    public BucketShape(long capacity, long timestampFrequency)
    {
        Capacity = capacity;
        UnitsPerToken = checked(60 * timestampFrequency);
        TicksToFill = UnitsPerToken; // capacity tokens at capacity units per tick: 60 s whatever the capacity.
        MaxFastElapsed = (long.MaxValue - UnitsPerToken) / capacity;
    }

    public long Capacity { get; }

    public long UnitsPerToken { get; }

    public long TicksToFill { get; }

    public long MaxFastElapsed { get; }
}
