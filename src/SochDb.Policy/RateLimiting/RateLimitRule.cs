using System;

namespace SochDb.Policy;

/// <summary>
/// A rate limit per value of <see cref="Scope"/> (<see cref="GlobalScope"/>, <see cref="AgentIdScope"/>,
/// <see cref="SessionIdScope"/> or <see cref="ItemScope"/> for a custom context item; any other word is refused, so a
/// misspelt <c>agentid</c> cannot silently become one bucket shared by every caller): a token bucket holding <see cref="MaxPerMinute"/> tokens, starting full
/// and refilling at <see cref="MaxPerMinute"/> a minute. A burst of <see cref="MaxPerMinute"/> passes at once, so up to
/// about twice <see cref="MaxPerMinute"/> operations can pass within one minute; the long-run average is
/// <see cref="MaxPerMinute"/> a minute.
/// </summary>
public sealed class RateLimitRule
{
    /// <summary>One bucket for every caller.</summary>
    public const string GlobalScope = RateLimitScopes.Global;

    /// <summary>One bucket per <see cref="PolicyContext.AgentId"/> (callers without one share a bucket).</summary>
    public const string AgentIdScope = RateLimitScopes.AgentId;

    /// <summary>One bucket per <see cref="PolicyContext.SessionId"/> (callers without one share a bucket).</summary>
    public const string SessionIdScope = RateLimitScopes.SessionId;

    /// <summary>The prefix of a custom context item's scope: <c>item:tenant</c> is one bucket per <c>tenant</c> value.</summary>
    public const string ItemScopePrefix = RateLimitScopes.ItemPrefix;

    /// <summary>The scope of one bucket per value of the context item <paramref name="name"/> (<c>item:NAME</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or blank.</exception>
    public static string ItemScope(string name) => RateLimitScopes.Item(name);

    /// <summary>Creates a rate-limit description.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is not a defined operation, or <paramref name="maxPerMinute"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="scope"/> is not <c>global</c>, <c>agent_id</c>, <c>session_id</c> or <c>item:NAME</c> (the message names the valid ones).</exception>
    public RateLimitRule(PolicyOperation operation, int maxPerMinute, string scope = GlobalScope)
    {
        if (operation is < PolicyOperation.Read or > PolicyOperation.All)
        {
            throw new ArgumentOutOfRangeException(nameof(operation), operation,
                "A rate limit's operation is Read, Write, Delete or All.");
        }

        if (maxPerMinute <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxPerMinute), maxPerMinute,
                "A rate limit allows at least 1 operation a minute; maxPerMinute must be positive.");
        }

        if (RateLimitScopes.Problem(scope) is { } problem)
        {
            throw new ArgumentException(problem, nameof(scope));
        }

        Operation = operation;
        MaxPerMinute = maxPerMinute;
        Scope = scope;
    }

    /// <summary>The operation limited (<see cref="PolicyOperation.All"/> for every operation).</summary>
    public PolicyOperation Operation { get; }

    /// <summary>Capacity of the bucket and tokens refilled per minute.</summary>
    public int MaxPerMinute { get; }

    /// <summary><c>global</c>, <c>agent_id</c>, <c>session_id</c> or <c>item:NAME</c> for a custom context item.</summary>
    public string Scope { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Operation} {MaxPerMinute}/min per {Scope}";
}
