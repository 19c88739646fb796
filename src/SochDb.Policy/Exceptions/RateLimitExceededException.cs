using System;
using System.Globalization;
using System.Text;

namespace SochDb.Policy;

/// <summary>A rate limit refused the operation before any handler ran; no limit lost a token to it.</summary>
public sealed class RateLimitExceededException : PolicyViolationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="operation">The refused operation.</param>
    /// <param name="key">The operation's key.</param>
    /// <param name="limit">The limit that refused (the one that frees up last, when several did).</param>
    /// <param name="scopeValue">The caller's value of the limit's scope; null for <c>global</c> or when the caller lacked it.</param>
    /// <param name="retryAfter">How long until that limit would grant a token.</param>
    /// <param name="agentId">The caller's agent id.</param>
    public RateLimitExceededException(
        PolicyOperation operation,
        ReadOnlySpan<byte> key,
        RateLimitRule limit,
        string? scopeValue,
        TimeSpan retryAfter,
        string? agentId)
        : this(operation, key, limit, scopeValue, retryAfter, agentId, Encoding.UTF8.GetString(key))
    {
    }

    /// <summary>The engine's refusal, whose message shows the key as <paramref name="keyText"/> (masked where the decision log masks it).</summary>
    internal RateLimitExceededException(
        PolicyOperation operation,
        ReadOnlySpan<byte> key,
        RateLimitRule limit,
        string? scopeValue,
        TimeSpan retryAfter,
        string? agentId,
        string keyText)
        : base(operation, key.ToArray(), null, null, DescribeLimit(limit, scopeValue, retryAfter), agentId, null,
            Describe(operation, keyText, limit, scopeValue, retryAfter))
    {
        ArgumentNullException.ThrowIfNull(limit);
        Limit = limit;
        ScopeValue = scopeValue;
        RetryAfter = retryAfter;
    }

    /// <summary>The limit that refused.</summary>
    public RateLimitRule Limit { get; }

    /// <summary>The limit's scope: <c>global</c>, <c>agent_id</c>, <c>session_id</c> or a custom item name.</summary>
    public string Scope => Limit.Scope;

    /// <summary>The caller's value of <see cref="Scope"/>; null for <c>global</c> or when the caller lacked the item (the shared "absent" bucket).</summary>
    public string? ScopeValue { get; }

    /// <summary>How long until the limit would grant a token (rounded up).</summary>
    public TimeSpan RetryAfter { get; }

    internal static string DescribeLimit(RateLimitRule limit, string? scopeValue, TimeSpan retryAfter)
    {
        var text = new StringBuilder();
        text.Append("rate limit of ").Append(limit.MaxPerMinute.ToString(CultureInfo.InvariantCulture))
            .Append(' ').Append(Verb(limit.Operation).ToLowerInvariant()).Append(" operations a minute");
        if (limit.Scope != RateLimitScopes.Global)
        {
            text.Append(" per ").Append(limit.Scope).Append(" (");
            text.Append(scopeValue is null ? "absent" : "\"" + scopeValue + "\"").Append(')');
        }

        text.Append(" exhausted; retry after ")
            .Append(retryAfter.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)).Append(" s");
        return text.ToString();
    }

    private static string Describe(PolicyOperation operation, string keyText, RateLimitRule limit, string? scopeValue, TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(limit);
        return $"{Verb(operation)} of \"{keyText}\" refused: {DescribeLimit(limit, scopeValue, retryAfter)}.";
    }
}
