using System;
using System.Threading;
using SochDb.Policy.Engine;

namespace SochDb.Policy.RateLimiting;

/// <summary>
/// Every rate limit of one engine. An acquire checks all limits that apply to the operation and takes a token from
/// each only when none refuses, so a refused request costs no limit anything. That check-then-take must be atomic
/// across buckets, so it runs under one small lock: the critical section is a few bucket look-ups (usually each limit's
/// remembered bucket) and integer operations, allocation-free, and never calls user code. The clock is read before the
/// lock. With one applicable limit there is nothing to coordinate, so that case takes a shorter path. Operations with
/// no applicable limit skip the lock.
/// </summary>
internal sealed class RateLimiter
{
    private static readonly RateLimitState[] NoLimits = Array.Empty<RateLimitState>();

    private readonly SpinGate _lock = new();
    private readonly PolicyClock _clock;
    private readonly long _sweepInterval;

    // Indexed by PolicyOperation (Read, Write, Delete): the limits of that operation plus those of All.
    // Copy-on-write: replaced whole under the lock, read without it.
    private RateLimitState[][] _byOperation = { NoLimits, NoLimits, NoLimits };
    private long _lastSweep;

    // The sweep under way: the limits it covers and the one being swept; null between sweeps.
    private RateLimitState[]? _sweeping;
    private int _sweepingAt;

    public RateLimiter(TimeProvider time)
    {
        _clock = PolicyClock.For(time);
        _sweepInterval = checked(60 * _clock.TimestampFrequency);
        _lastSweep = _clock.GetTimestamp();
    }

    /// <summary>Adds a limit; returns its state, the handle for <see cref="Remove"/>.</summary>
    public RateLimitState Add(RateLimitRule rule)
    {
        using (_lock.Hold())
        {
            var state = new RateLimitState(rule, _clock.TimestampFrequency, _clock.GetTimestamp());
            var next = (RateLimitState[][])_byOperation.Clone();
            for (int op = 0; op < next.Length; op++)
            {
                if (rule.Operation == PolicyOperation.All || (int)rule.Operation == op)
                {
                    var grown = new RateLimitState[next[op].Length + 1];
                    next[op].CopyTo(grown, 0);
                    grown[^1] = state;
                    next[op] = grown;
                }
            }

            Volatile.Write(ref _byOperation, next);
            return state;
        }
    }

    /// <summary>Removes the limit <paramref name="state"/> (by identity); false when it was already removed.</summary>
    public bool Remove(RateLimitState state)
    {
        using (_lock.Hold())
        {
            bool found = false;
            var next = (RateLimitState[][])_byOperation.Clone();
            for (int op = 0; op < next.Length; op++)
            {
                int index = Array.IndexOf(next[op], state);
                if (index < 0)
                {
                    continue;
                }

                found = true;
                var shrunk = new RateLimitState[next[op].Length - 1];
                Array.Copy(next[op], 0, shrunk, 0, index);
                Array.Copy(next[op], index + 1, shrunk, index, shrunk.Length - index);
                next[op] = shrunk.Length == 0 ? NoLimits : shrunk;
            }

            if (found)
            {
                Volatile.Write(ref _byOperation, next);
            }

            return found;
        }
    }

    /// <summary>The limits that apply to <paramref name="operation"/> (its own and those on All), in the order added.</summary>
    public RateLimitState[] LimitsFor(PolicyOperation operation) => Volatile.Read(ref _byOperation)[(int)operation];

    /// <summary>Whether any limit applies to <paramref name="operation"/>.</summary>
    public bool Applies(PolicyOperation operation) => Volatile.Read(ref _byOperation)[(int)operation].Length != 0;

    /// <summary>Takes one token from every limit of <paramref name="operation"/>, or from none.</summary>
    /// <returns>False, with the refusal, when a limit has no token.</returns>
    public bool TryAcquire(PolicyOperation operation, PolicyContext context, out RateLimitRefusal refusal)
    {
        RateLimitState[] limits = Volatile.Read(ref _byOperation)[(int)operation];
        if (limits.Length == 0)
        {
            refusal = default;
            return true;
        }

        // Read outside the lock: a thread that read an older time than another only refills less (Refill ignores
        // time going backwards), so the critical section stays as short as it can be.
        long now = _clock.GetTimestamp();
        return limits.Length == 1
            ? TryAcquireOne(limits[0], context, now, out refusal)
            : TryAcquireAll(limits, context, now, out refusal);
    }

    /// <summary>
    /// Takes <paramref name="writes"/> tokens from every Write limit, <paramref name="deletes"/> from every Delete limit and
    /// their sum from every All limit, or nothing at all (a batch is admitted whole or not at all).
    /// </summary>
    public bool TryAcquireBatch(int writes, int deletes, PolicyContext context, out RateLimitRefusal refusal)
    {
        RateLimitState[][] byOperation = Volatile.Read(ref _byOperation);
        RateLimitState[] writeLimits = writes > 0 ? byOperation[(int)PolicyOperation.Write] : NoLimits;
        RateLimitState[] deleteLimits = deletes > 0 ? byOperation[(int)PolicyOperation.Delete] : NoLimits;
        if (writeLimits.Length == 0 && deleteLimits.Length == 0)
        {
            refusal = default;
            return true;
        }

        // Each distinct limit with the tokens it must give: a limit on All appears under both operations.
        var demands = new System.Collections.Generic.List<(RateLimitState Limit, long Tokens)>(writeLimits.Length + deleteLimits.Length);
        foreach (RateLimitState limit in writeLimits)
        {
            demands.Add((limit, limit.Rule.Operation == PolicyOperation.All ? (long)writes + deletes : writes));
        }

        foreach (RateLimitState limit in deleteLimits)
        {
            if (limit.Rule.Operation != PolicyOperation.All || writes == 0)
            {
                demands.Add((limit, limit.Rule.Operation == PolicyOperation.All ? (long)writes + deletes : deletes));
            }
        }

        long now = _clock.GetTimestamp();
        long longestWait = 0;
        int refusing = -1;
        string? refusedValue = null;
        var buckets = new TokenBucket[demands.Count];
        using (_lock.Hold())
        {
            SweepIfDue(now);
            for (int i = 0; i < demands.Count; i++)
            {
                (RateLimitState limit, long tokens) = demands[i];
                string? value = limit.ScopeValue(context);
                TokenBucket bucket = limit.BucketFor(value, now);
                bucket.Refill(now, limit.Shape);
                buckets[i] = bucket;
                if (bucket.Tokens < tokens)
                {
                    long wait = tokens > limit.Shape.Capacity ? long.MaxValue : bucket.TicksUntilTokens(tokens, limit.Shape);
                    if (refusing < 0 || wait > longestWait)
                    {
                        refusing = i;
                        refusedValue = value;
                        longestWait = wait;
                    }
                }
            }

            if (refusing < 0)
            {
                for (int i = 0; i < demands.Count; i++)
                {
                    buckets[i].Take(demands[i].Tokens);
                }

                refusal = default;
                return true;
            }
        }

        refusal = new RateLimitRefusal(demands[refusing].Limit.Rule, refusedValue,
            longestWait == long.MaxValue ? TimeSpan.MaxValue : ToTimeSpan(longestWait));
        return false;
    }

    /// <summary>The common case of one applicable limit: no cross-bucket bookkeeping is needed.</summary>
    private bool TryAcquireOne(RateLimitState limit, PolicyContext context, long now, out RateLimitRefusal refusal)
    {
        string? value = limit.ScopeValue(context);
        long wait;
        using (_lock.Hold())
        {
            SweepIfDue(now);
            TokenBucket bucket = limit.BucketFor(value, now);
            if (bucket.TryTake(now, limit.Shape))
            {
                refusal = default;
                return true;
            }

            wait = bucket.TicksUntilToken(limit.Shape);
        }

        refusal = new RateLimitRefusal(limit.Rule, value, ToTimeSpan(wait));
        return false;
    }

    private bool TryAcquireAll(RateLimitState[] limits, PolicyContext context, long now, out RateLimitRefusal refusal)
    {
        long longestWait = 0;
        RateLimitState? refusing = null;
        string? refusedValue = null;
        using (_lock.Hold())
        {
            SweepIfDue(now);

            // Pass 1: bring every bucket up to date and find the limit that refuses for the longest.
            foreach (RateLimitState limit in limits)
            {
                string? value = limit.ScopeValue(context);
                TokenBucket bucket = limit.BucketFor(value, now);
                bucket.Refill(now, limit.Shape);
                limit.Pending = bucket;
                if (bucket.Tokens < 1)
                {
                    long wait = bucket.TicksUntilToken(limit.Shape);
                    if (refusing is null || wait > longestWait)
                    {
                        refusing = limit;
                        refusedValue = value;
                        longestWait = wait;
                    }
                }
            }

            if (refusing is null)
            {
                // Pass 2: every limit has a token; take them all.
                foreach (RateLimitState limit in limits)
                {
                    limit.Pending!.Take();
                    limit.Pending = null;
                }

                refusal = default;
                return true;
            }

            ClearPending(limits);
        }

        // Outside the lock: the first refusal on the system clock measures the clock's step once (a few ms).
        refusal = new RateLimitRefusal(refusing.Rule, refusedValue, ToTimeSpan(longestWait));
        return false;
    }

    /// <summary>Every limit of <paramref name="operation"/> with the caller's tokens left and retry-after; takes nothing.</summary>
    public System.Collections.Generic.List<LimitExplanation> Peek(PolicyOperation operation, PolicyContext context)
    {
        RateLimitState[] limits = LimitsFor(operation);
        var result = new System.Collections.Generic.List<LimitExplanation>(limits.Length);
        long now = _clock.GetTimestamp();
        using (_lock.Hold())
        {
            foreach (RateLimitState limit in limits)
            {
                string? value = limit.ScopeValue(context);
                TokenBucket? bucket = limit.Existing(value);
                (long tokens, long wait) = bucket is null ? (limit.Rule.MaxPerMinute, 0L) : bucket.Peek(now, limit.Shape);
                result.Add(new LimitExplanation(limit.Rule, value, tokens, wait == 0 ? TimeSpan.Zero : ToTimeSpan(wait)));
            }
        }

        return result;
    }

    /// <summary>
    /// The <paramref name="count"/> buckets with the fewest tokens left now, across every limit (ties: the limit added
    /// first, then ordinal scope value); takes nothing. Costs one pass over the buckets held, under the lock.
    /// </summary>
    public System.Collections.Generic.List<LimitExplanation> Busiest(int count)
    {
        var all = new System.Collections.Generic.List<(long Tokens, int Order, LimitExplanation Limit)>();
        long now = _clock.GetTimestamp();
        using (_lock.Hold())
        {
            int order = 0;
            foreach (RateLimitState limit in AllLimits())
            {
                order++;
                foreach (TokenBucket bucket in limit.Buckets())
                {
                    (long tokens, long wait) = bucket.Peek(now, limit.Shape);
                    if (tokens < limit.Rule.MaxPerMinute)
                    {
                        all.Add((tokens, order, new LimitExplanation(limit.Rule, bucket.ScopeValue, tokens, wait == 0 ? TimeSpan.Zero : ToTimeSpan(wait))));
                    }
                }
            }
        }

        all.Sort(static (a, b) => a.Tokens != b.Tokens ? a.Tokens.CompareTo(b.Tokens)
            : a.Order != b.Order ? a.Order.CompareTo(b.Order)
            : string.CompareOrdinal(a.Limit.ScopeValue, b.Limit.ScopeValue));
        var busiest = new System.Collections.Generic.List<LimitExplanation>(Math.Min(count, all.Count));
        for (int i = 0; i < all.Count && i < count; i++)
        {
            busiest.Add(all[i].Limit);
        }

        return busiest;
    }

    /// <summary>Number of per-value buckets held (the shared ones excluded); for tests of the memory bound.</summary>
    internal int BucketCount
    {
        get
        {
            using (_lock.Hold())
            {
                int count = 0;
                foreach (RateLimitState limit in AllLimits())
                {
                    count += limit.BucketCount;
                }

                return count;
            }
        }
    }

    /// <summary>Slots allocated for per-value buckets; shows that memory, not just entries, is given back.</summary>
    internal int BucketCapacity
    {
        get
        {
            using (_lock.Hold())
            {
                int capacity = 0;
                foreach (RateLimitState limit in AllLimits())
                {
                    capacity += limit.BucketCapacity;
                }

                return capacity;
            }
        }
    }

    /// <summary>The most buckets one acquire looks at for the sweep, so no single operation pays for a million idle ones.</summary>
    internal const int SweepBudget = 32;

    /// <summary>How many buckets the last acquire looked at for the sweep (at most <see cref="SweepBudget"/>); for tests.</summary>
    internal int LastSweepWork { get; private set; }

    /// <summary>Whether a sweep is under way; for tests.</summary>
    internal bool IsSweeping
    {
        get
        {
            using (_lock.Hold())
            {
                return _sweeping is not null;
            }
        }
    }

    /// <summary>
    /// Once a minute of clock time, starts a sweep of idle buckets; while one is under way, every acquire does a bounded
    /// step of it (inside the lock it holds anyway). A new bucket costs an acquire, and each acquire sweeps up to
    /// <see cref="SweepBudget"/>, so sweeping outpaces growth and memory stays bounded by the recently active values.
    /// </summary>
    private void SweepIfDue(long now)
    {
        LastSweepWork = 0;
        if (_sweeping is null)
        {
            if (now - _lastSweep < _sweepInterval)
            {
                return;
            }

            _lastSweep = now;
            StartSweep();
            if (_sweeping is null)
            {
                return;
            }
        }

        int budget = SweepBudget;
        while (budget > 0 && _sweeping is not null)
        {
            RateLimitState limit = _sweeping[_sweepingAt];
            budget -= limit.SweepSome(now, budget);
            if (!limit.Sweeping && ++_sweepingAt == _sweeping.Length)
            {
                _sweeping = null;
            }
        }

        LastSweepWork = SweepBudget - budget;
    }

    private void StartSweep()
    {
        var limits = new System.Collections.Generic.List<RateLimitState>();
        foreach (RateLimitState limit in AllLimits())
        {
            if (limit.BucketCount > 0)
            {
                limit.BeginSweep();
                limits.Add(limit);
            }
        }

        _sweeping = limits.Count > 0 ? limits.ToArray() : null;
        _sweepingAt = 0;
    }

    private System.Collections.Generic.IEnumerable<RateLimitState> AllLimits()
    {
        // A limit on All appears under every operation; visit each state once.
        RateLimitState[][] byOperation = _byOperation;
        for (int op = 0; op < byOperation.Length; op++)
        {
            foreach (RateLimitState limit in byOperation[op])
            {
                if (limit.Rule.Operation == PolicyOperation.All && op != 0)
                {
                    continue;
                }

                yield return limit;
            }
        }
    }

    private static void ClearPending(RateLimitState[] limits)
    {
        foreach (RateLimitState limit in limits)
        {
            limit.Pending = null;
        }
    }

    private TimeSpan ToTimeSpan(long timestampTicks)
    {
        // Round up, and allow for a clock that lags: retrying after RetryAfter must find a token.
        long frequency = _clock.TimestampFrequency;
        Int128 ticks = (((Int128)timestampTicks + _clock.MaxLag) * TimeSpan.TicksPerSecond + frequency - 1) / frequency;
        return TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>Which limit refused, for which scope value, and how long until it would not.</summary>
internal readonly struct RateLimitRefusal
{
    public RateLimitRefusal(RateLimitRule rule, string? scopeValue, TimeSpan retryAfter)
    {
        Rule = rule;
        ScopeValue = scopeValue;
        RetryAfter = retryAfter;
    }

    public RateLimitRule Rule { get; }

    public string? ScopeValue { get; }

    public TimeSpan RetryAfter { get; }
}
