using System;
using System.Collections.Generic;

namespace SochDb.Policy.RateLimiting;

/// <summary>The buckets of one <see cref="RateLimitRule"/>: one per scope value, plus one shared by callers lacking it.</summary>
internal sealed class RateLimitState
{
    private readonly Dictionary<string, TokenBucket>? _perValue;
    private readonly TokenBucket _shared;
    private readonly BucketShape _shape;

    // The bucket most recently used for a scope value: consecutive acquires by one caller skip the string hash and
    // dictionary probe. Always an entry of _perValue (cleared when that entry is dropped); guarded by the limiter's lock.
    private TokenBucket? _last;

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

    public int BucketCapacity => _perValue?.EnsureCapacity(0) ?? 0;

    public string? ScopeValue(PolicyContext context) => Kind switch
    {
        ScopeKind.Global => null,
        ScopeKind.AgentId => context.AgentId,
        ScopeKind.SessionId => context.SessionId,
        _ => context.Get(Rule.Scope),
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
            bucket = new TokenBucket(Rule.MaxPerMinute, now, value);
            _perValue.Add(value, bucket);
        }

        _last = bucket;
        return bucket;
    }

    /// <summary>The bucket of <paramref name="value"/> if one exists (none: the caller's bucket would start full).</summary>
    public TokenBucket? Existing(string? value) =>
        value is null || _perValue is null ? _shared : _perValue.GetValueOrDefault(value);

    /// <summary>Drops every bucket that has refilled to capacity: it is indistinguishable from a new one.</summary>
    public void DropFullBuckets(long now)
    {
        if (_perValue is null || _perValue.Count == 0)
        {
            return;
        }

        // The cached bucket may be among those dropped; a later acquire must find (or recreate) it in the dictionary.
        _last = null;
        int before = _perValue.Count;
        foreach (KeyValuePair<string, TokenBucket> entry in _perValue)
        {
            if (entry.Value.IsFullAt(now, Shape))
            {
                _perValue.Remove(entry.Key);
            }
        }

        if (_perValue.Count < before / 2)
        {
            // Give the memory of a burst of scope values back, not just the entries.
            _perValue.TrimExcess();
        }
    }
}

/// <summary>How a rate limit picks its bucket.</summary>
internal enum ScopeKind
{
    Global,
    AgentId,
    SessionId,
    Custom,
}
