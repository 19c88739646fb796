using System;
using System.Text;

namespace SochDb.Policy;

/// <summary>One operation outcome recorded by the engine's audit log.</summary>
public sealed record AuditEntry
{
    /// <summary>Creates an entry (the engine does this; public so that custom sinks and tests can too).</summary>
    public AuditEntry(
        long sequence,
        DateTimeOffset timestamp,
        PolicyOperation operation,
        byte[] keyBytes,
        AuditResult result,
        string? agentId,
        string? sessionId,
        string? rule,
        string? reason)
    {
        ArgumentNullException.ThrowIfNull(keyBytes);
        Sequence = sequence;
        Timestamp = timestamp;
        Operation = operation;
        KeyBytes = keyBytes;
        Key = Encoding.UTF8.GetString(keyBytes);
        Result = result;
        AgentId = agentId;
        SessionId = sessionId;
        Rule = rule;
        Reason = reason;
    }

    /// <summary>Position of the entry in the log since audit was first enabled (0, 1, 2, ...).</summary>
    public long Sequence { get; }

    /// <summary>When the outcome was decided, from the engine's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The operation: <see cref="PolicyOperation.Read"/>, <see cref="PolicyOperation.Write"/> or <see cref="PolicyOperation.Delete"/>.</summary>
    public PolicyOperation Operation { get; }

    /// <summary>The key decoded as UTF-8 (invalid bytes become U+FFFD; <see cref="KeyBytes"/> holds the exact key).</summary>
    public string Key { get; }

    /// <summary>The key's exact bytes.</summary>
    public byte[] KeyBytes { get; }

    /// <summary>The outcome.</summary>
    public AuditResult Result { get; }

    /// <summary>The caller's agent id, if any.</summary>
    public string? AgentId { get; }

    /// <summary>The caller's session id, if any.</summary>
    public string? SessionId { get; }

    /// <summary>
    /// The rule that decided: for Denied/Failed the handler's rule (<c>[BeforeWrite("system/*")] AgentPolicies.BlockSystemWrites</c>),
    /// for Modified the last rule that modified, for RateLimited the limit; null for Allowed.
    /// </summary>
    public string? Rule { get; }

    /// <summary>Why: the denial reason, the exception message of a failed handler, or the rate-limit detail.</summary>
    public string? Reason { get; }
}
