using System;
using System.Collections.Generic;

namespace SochDb.Policy.RateLimiting;

/// <summary>The buckets of one <see cref="RateLimitRule"/>: one per scope value, plus one shared by callers lacking it.</summary>
internal sealed class RateLimitState
{
    private readonly Dictionary<string, TokenBucket>? _perValue;
    private readonly TokenBucket _shared;
    private readonly BucketShape _shape;

    // For an item:NAME scope: NAME, the context item read.
    private readonly string? _item;

    // The bucket most recently used for a scope value: consecutive acquires by one caller skip the string hash and
    // dictionary probe. Always an entry of _perValue (cleared when that entry is dropped); guarded by the limiter's lock.
    private TokenBucket? _last;

    // The per-value buckets again, as a list the sweep walks a few at a time (each bucket knows its index, so dropping
    // one swaps the last into its place). The cursor walks down from the end: buckets added meanwhile land above it and
    // wait for the next sweep, and the bucket swapped into a dropped one's place has already been looked at.
    private readonly List<TokenBucket> _sweepList = new();
    private int _sweepCursor = -1;
    private int _countAtSweepStart;

    public RateLimitState(RateLimitRule rule, long timestampFrequency, long now)
    {
        Rule = rule;
        _shape = new BucketShape(rule.MaxPerMinute, timestampFrequency);
        Kind = rule.Scope switch
        {
            RateLimitScopes.Global => ScopeKind.Global,
            PolicyContext.AgentIdItem => ScopeKind.AgentId,
            PolicyContext.SessionIdItem => ScopeKind.SessionId,
            _ => ScopeKind.Custom,
        };
        _item = Kind == ScopeKind.Custom ? rule.Scope[RateLimitScopes.ItemPrefix.Length..] : null;
        _shared = new TokenBucket(rule.MaxPerMinute, now, scopeValue: null);
        if (Kind != ScopeKind.Global)
        {
            _perValue = new Dictionary<string, TokenBucket>(StringComparer.Ordinal);
        }
    }

    public RateLimitRule Rule { get; }

    // By reference: the hot path passes it on without copying four longs.
    public ref readonly BucketShape Shape => ref _shape;

    public ScopeKind Kind { get; }

    /// <summary>The bucket chosen by the check pass, taken from by the take pass (both under the limiter's lock).</summary>
    public TokenBucket? Pending { get; set; }

    public int BucketCount => _perValue?.Count ?? 0;

    /// <summary>The shared bucket, then each per-value bucket (under the limiter's lock).</summary>
    public IEnumerable<TokenBucket> Buckets()
    {
        yield return _shared;
        foreach (TokenBucket bucket in _sweepList)
        {
            yield return bucket;
        }
    }

    public int BucketCapacity => _perValue?.EnsureCapacity(0) ?? 0;

    public string? ScopeValue(PolicyContext context) => Kind switch
    {
        ScopeKind.Global => null,
        ScopeKind.AgentId => context.AgentId,
        ScopeKind.SessionId => context.SessionId,
        _ => context.Get(_item!),
    };

    public TokenBucket BucketFor(string? value, long now)
    {
        if (value is null || _perValue is null)
        {
            return _shared;
        }

        TokenBucket? last = _last;
        if (last is not null && string.Equals(last.ScopeValue, value, StringComparison.Ordinal))
        {
            return last;
        }

        if (!_perValue.TryGetValue(value, out TokenBucket? bucket))
        {
            bucket = new TokenBucket(Rule.MaxPerMinute, now, value) { SweepIndex = _sweepList.Count };
            _perValue.Add(value, bucket);
            _sweepList.Add(bucket);
        }

        _last = bucket;
        return bucket;
    }

    /// <summary>The bucket of <paramref name="value"/> if one exists (none: the caller's bucket would start full).</summary>
    public TokenBucket? Existing(string? value) =>
        value is null || _perValue is null ? _shared : _perValue.GetValueOrDefault(value);

    /// <summary>Whether a sweep of this limit's buckets is under way.</summary>
    public bool Sweeping => _sweepCursor >= 0;

    /// <summary>Starts a sweep over every bucket held now; <see cref="SweepSome"/> does the work a few buckets at a time.</summary>
    public void BeginSweep()
    {
        _sweepCursor = _sweepList.Count - 1;
        _countAtSweepStart = _sweepList.Count;
    }

    /// <summary>
    /// Looks at up to <paramref name="budget"/> buckets of the sweep under way and drops those that have refilled to
    /// capacity (a full bucket is indistinguishable from a new one); returns how many it looked at.
    /// </summary>
    public int SweepSome(long now, int budget)
    {
        int examined = 0;
        while (_sweepCursor >= 0 && examined < budget)
        {
            int index = _sweepCursor--;
            examined++;
            if (index >= _sweepList.Count)
            {
                continue; // dropped meanwhile by a swap from further down
            }

            TokenBucket bucket = _sweepList[index];
            if (!bucket.IsFullAt(now, Shape))
            {
                continue;
            }

            _perValue!.Remove(bucket.ScopeValue!);
            if (ReferenceEquals(_last, bucket))
            {
                _last = null; // a later acquire must find (or recreate) it in the dictionary
            }

            TokenBucket moved = _sweepList[^1];
            _sweepList[index] = moved;
            moved.SweepIndex = index;
            _sweepList.RemoveAt(_sweepList.Count - 1);
        }

        if (_sweepCursor < 0)
        {
            FinishSweep();
        }

        return examined;
    }

    private void FinishSweep()
    {
        // Give the memory of a burst of scope values back, not just the entries: when most were dropped and what is left
        // is small enough that rehashing it is a short step (a large survivor set is trimmed by a later sweep).
        int count = _sweepList.Count;
        if (count < _countAtSweepStart / 2 && count <= MaxTrimmedSurvivors)
        {
            _perValue!.TrimExcess();
            _sweepList.TrimExcess();
        }
    }

    /// <summary>The most buckets a sweep rehashes in one step when it gives memory back.</summary>
    internal const int MaxTrimmedSurvivors = 4096;
}

/// <summary>How a rate limit picks its bucket.</summary>
internal enum ScopeKind
{
    Global,
    AgentId,
    SessionId,
    Custom,
}
