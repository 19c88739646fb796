using System;
using System.Text;

namespace SochDb.Policy;

/// <summary>
/// A policy refused an operation: a handler denied it, a handler failed (the engine fails closed; the handler's
/// exception is the <see cref="Exception.InnerException"/>), or, as <see cref="RateLimitExceededException"/>, a rate
/// limit refused it. The store is left as it was (for AfterRead, the value is withheld).
/// </summary>
public class PolicyViolationException : Exception
{
    /// <summary>Creates the exception for a refusal by <paramref name="rule"/>.</summary>
    /// <param name="operation">The refused operation.</param>
    /// <param name="key">The operation's key.</param>
    /// <param name="trigger">The trigger whose handler refused; null for a rate limit.</param>
    /// <param name="rule">The rule that refused, if a rule did.</param>
    /// <param name="reason">Why, as the handler said, or as the engine describes a failure.</param>
    /// <param name="agentId">The caller's agent id.</param>
    /// <param name="innerException">The handler's exception when it failed.</param>
    public PolicyViolationException(
        PolicyOperation operation,
        ReadOnlySpan<byte> key,
        PolicyTrigger? trigger,
        PolicyRuleInfo? rule,
        string? reason,
        string? agentId,
        Exception? innerException = null)
        : this(operation, key.ToArray(), trigger, rule, reason, agentId, innerException, message: null)
    {
    }

    /// <summary>Creates the exception with a message of the caller's (used by subclasses).</summary>
    protected PolicyViolationException(
        PolicyOperation operation,
        byte[] keyBytes,
        PolicyTrigger? trigger,
        PolicyRuleInfo? rule,
        string? reason,
        string? agentId,
        Exception? innerException,
        string? message)
        : base(message ?? Describe(operation, keyBytes, rule, reason, innerException), innerException)
    {
        Operation = operation;
        KeyBytes = keyBytes;
        Key = Encoding.UTF8.GetString(keyBytes);
        Trigger = trigger;
        Rule = rule;
        Reason = reason;
        AgentId = agentId;
        Cause = innerException is null ? PolicyRefusalCause.Denied : PolicyRefusalCause.HandlerFailed;
    }

    /// <summary>Why the operation was refused: a denial, a failing handler, or an engine or backend condition.</summary>
    public PolicyRefusalCause Cause { get; private init; }

    /// <summary>The refused operation.</summary>
    public PolicyOperation Operation { get; }

    /// <summary>The key as UTF-8 text (invalid bytes become U+FFFD; <see cref="KeyBytes"/> is exact).</summary>
    public string Key { get; }

    /// <summary>The key's exact bytes.</summary>
    public byte[] KeyBytes { get; }

    /// <summary>The trigger whose handler refused; null when a rate limit refused.</summary>
    public PolicyTrigger? Trigger { get; }

    /// <summary>The rule that refused (or whose handler failed); null when a rate limit refused.</summary>
    public PolicyRuleInfo? Rule { get; }

    /// <summary>The refusing rule's handler name.</summary>
    public string? HandlerName => Rule?.HandlerName;

    /// <summary>The refusing rule's pattern.</summary>
    public string? Pattern => Rule?.Pattern;

    /// <summary>Why the operation was refused, if known.</summary>
    public string? Reason { get; }

    /// <summary>The caller's agent id.</summary>
    public string? AgentId { get; }

    /// <summary>
    /// For a refused <see cref="PolicyEngine.Write(WriteBatch, PolicyContext?)"/>: the index of the item that refused the
    /// batch (nothing of the batch was written); null for single operations.
    /// </summary>
    public int? BatchItemIndex { get; private init; }

    /// <summary>A refusal whose message the engine words itself (store-independent refusals, batches).</summary>
    internal static PolicyViolationException Create(
        PolicyRefusalCause cause, PolicyOperation operation, byte[] keyBytes, PolicyTrigger? trigger, PolicyRuleInfo? rule,
        string? reason, string? agentId, Exception? innerException, string? message, int? batchItemIndex = null) =>
        new(operation, keyBytes, trigger, rule, reason, agentId, innerException, message) { BatchItemIndex = batchItemIndex, Cause = cause };


    internal static string Verb(PolicyOperation operation) => operation switch
    {
        PolicyOperation.Read => "Read",
        PolicyOperation.Write => "Write",
        PolicyOperation.Delete => "Delete",
        _ => operation.ToString(),
    };

    private static string Describe(PolicyOperation operation, byte[] key, PolicyRuleInfo? rule, string? reason, Exception? inner)
    {
        var text = new StringBuilder();
        text.Append(Verb(operation)).Append(" of \"").Append(Encoding.UTF8.GetString(key)).Append('"');
        string by = rule is null ? "the policy" : rule.ToString();
        if (inner is not null)
        {
            // The handler's exception type, not its message (it can quote keys or values); the exception is the inner exception.
            text.Append(" refused because ").Append(by).Append(" threw ").Append(inner.GetType().Name)
                .Append(" (a failing handler refuses the operation)");
        }
        else
        {
            text.Append(" denied by ").Append(by);
            if (!string.IsNullOrEmpty(reason))
            {
                text.Append(": ").Append(reason);
            }
        }

        return text.Append('.').ToString();
    }
}
