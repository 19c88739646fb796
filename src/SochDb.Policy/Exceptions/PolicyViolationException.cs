using System;
using System.Globalization;
using System.Text;

namespace SochDb.Policy;

/// <summary>
/// The engine refused an operation; <see cref="Cause"/> says why (callers switch on it, never on the message): a rule
/// denied it, a handler failed (the engine fails closed; the handler's exception is the
/// <see cref="Exception.InnerException"/>), a rate limit had no token (<see cref="RateLimit"/>, <see cref="RetryAfter"/>),
/// a person must approve it first (<see cref="Approval"/>), or the engine or a backend could not admit it. The store is
/// left as it was (for AfterRead, the value is withheld).
/// </summary>
public sealed class PolicyViolationException : Exception
{
    /// <summary>Creates the exception for a refusal by <paramref name="rule"/>.</summary>
    /// <param name="operation">The refused operation.</param>
    /// <param name="key">The operation's key.</param>
    /// <param name="trigger">The trigger whose handler refused; null when no handler did.</param>
    /// <param name="rule">The rule that refused, if a rule did.</param>
    /// <param name="reason">Why, as the handler said, or as the engine describes a failure.</param>
    /// <param name="agentId">The caller's agent id.</param>
    /// <param name="innerException">The handler's exception when it failed.</param>
    /// <remarks>The cause is <see cref="PolicyRefusalCause.HandlerFailed"/> with an inner exception, else <see cref="PolicyRefusalCause.Denied"/>.</remarks>
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

    private PolicyViolationException(
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

    /// <summary>Why the operation was refused: a denial, a failing handler, a rate limit, an approval to wait for, or an engine or backend condition.</summary>
    public PolicyRefusalCause Cause { get; private init; }

    /// <summary>The refused operation.</summary>
    public PolicyOperation Operation { get; }

    /// <summary>The key as UTF-8 text (invalid bytes become U+FFFD; <see cref="KeyBytes"/> is exact).</summary>
    public string Key { get; }

    /// <summary>The key's exact bytes.</summary>
    public byte[] KeyBytes { get; }

    /// <summary>The trigger whose handler refused; null when no handler did (a rate limit, or the engine itself).</summary>
    public PolicyTrigger? Trigger { get; }

    /// <summary>The rule that refused (or whose handler failed, or that requires approval); null when no rule did (a rate limit, or the engine itself).</summary>
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

    /// <summary>
    /// For <see cref="PolicyRefusalCause.RateLimited"/>: the limit that refused (the one that frees up last, when several
    /// did; its <see cref="RateLimitRule.Scope"/> is the scope); no limit lost a token to the operation. Null for every
    /// other cause.
    /// </summary>
    public RateLimitRule? RateLimit { get; private init; }

    /// <summary>
    /// For <see cref="PolicyRefusalCause.RateLimited"/>: the caller's value of the limit's scope; null for a
    /// <c>global</c> limit, when the caller lacked the item (the shared "absent" bucket), and for every other cause.
    /// </summary>
    public string? ScopeValue { get; private init; }

    /// <summary>
    /// For <see cref="PolicyRefusalCause.RateLimited"/>: how long until the limit would grant a token (rounded up). Null
    /// for every other cause.
    /// </summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>
    /// For <see cref="PolicyRefusalCause.ApprovalRequired"/>: the pending request, whose <see cref="ApprovalRequest.Id"/>
    /// is what an approver approves or rejects in <see cref="PolicyEngine.Approvals"/> (it stays pending until approved,
    /// rejected or expired). Null for every other cause.
    /// </summary>
    public ApprovalRequest? Approval { get; private init; }

    /// <summary>A refusal whose message the engine words itself (store-independent refusals, batches).</summary>
    internal static PolicyViolationException Create(
        PolicyRefusalCause cause, PolicyOperation operation, byte[] keyBytes, PolicyTrigger? trigger, PolicyRuleInfo? rule,
        string? reason, string? agentId, Exception? innerException, string? message, int? batchItemIndex = null) =>
        new(operation, keyBytes, trigger, rule, reason, agentId, innerException, message) { BatchItemIndex = batchItemIndex, Cause = cause };

    /// <summary>A rate limit's refusal; the message shows the key as <paramref name="keyText"/> (masked where the decision log masks it).</summary>
    internal static PolicyViolationException RateLimited(PolicyOperation operation, ReadOnlySpan<byte> key, RateLimitRule limit, string? scopeValue,
        TimeSpan retryAfter, string? agentId, string keyText)
    {
        string detail = DescribeLimit(limit, scopeValue, retryAfter);
        return new(operation, key.ToArray(), null, null, detail, agentId, null, $"{Verb(operation)} of \"{keyText}\" refused: {detail}.")
        {
            Cause = PolicyRefusalCause.RateLimited,
            RateLimit = limit,
            ScopeValue = scopeValue,
            RetryAfter = retryAfter,
        };
    }

    /// <summary>An operation held for approval; the message shows the key as <paramref name="keyText"/> (masked where the decision log masks it).</summary>
    internal static PolicyViolationException ApprovalRequired(ApprovalRequest request, PolicyTrigger trigger, string keyText)
    {
        string by = request.Rule is null ? "the policy" : request.Rule.ToString();
        string why = string.IsNullOrEmpty(request.Reason) ? "" : ": " + request.Reason;
        string message = $"{Verb(request.Operation)} of \"{keyText}\" requires approval by {by}{why} "
            + $"(approval {request.Id}, pending until {request.ExpiresAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}).";
        return new(request.Operation, request.KeyBytes, trigger, request.Rule, request.Reason, request.AgentId, null, message)
        {
            Cause = PolicyRefusalCause.ApprovalRequired,
            Approval = request,
        };
    }

    /// <summary>A limit's refusal in words: the limit, the caller's scope value, and how long until a token.</summary>
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
