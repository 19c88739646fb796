using System;
using System.Globalization;

namespace SochDb.Policy.AI;

/// <summary>
/// Maps what the engine threw to what the model is told. The model gets the policy's own words (the rule and the
/// reason its author wrote) and nothing else: never an exception message (it can quote keys, values or internals).
/// </summary>
internal static class MemoryToolOutcomes
{
    public static MemoryToolResult InvalidArgument(ToolArgumentException refused) => new()
    {
        Status = MemoryToolStatus.InvalidArgument,
        Argument = refused.Argument,
        Reason = $"'{refused.Argument}' {refused.Reason}; nothing was read or changed",
    };

    public static MemoryToolResult ApprovalRequired(ApprovalRequest request, string? key) => new()
    {
        Status = MemoryToolStatus.ApprovalRequired,
        Key = key,
        Reason = (string.IsNullOrEmpty(request.Reason) ? "a person must approve this first" : request.Reason)
            + "; nothing was done yet, and it runs once if approved",
        Rule = request.Rule?.ToString(),
        ApprovalId = request.Id,
        ExpiresAt = Timestamp(request.ExpiresAt),
    };

    /// <summary>An approval the host granted that cannot run: unknown here, not this tool's, or no longer pending.</summary>
    public static MemoryToolResult NotPending(string approvalId, ApprovalState? state, string? key) => new()
    {
        Status = MemoryToolStatus.Denied,
        Key = key,
        Reason = $"approval {approvalId} {Explain(state)}; nothing was done",
    };

    public static MemoryToolResult FromException(Exception exception, string? key) => exception switch
    {
        PolicyViolationException refused => FromRefusal(refused, key),
        PolicyHandlerException observer => new MemoryToolResult
        {
            Status = MemoryToolStatus.Failed,
            Key = key,
            Committed = true,
            Reason = "the change was committed, but a policy rule that runs afterwards failed; do not repeat the change",
            Rule = observer.Rule?.ToString(),
        },
        ContextResolutionException => new MemoryToolResult
        {
            Status = MemoryToolStatus.Failed,
            Key = key,
            Committed = false,
            Reason = "the host could not establish who is calling; nothing was read or changed",
        },
        _ => new MemoryToolResult
        {
            Status = MemoryToolStatus.Failed,
            Key = key,
            Reason = "the memory store failed to complete the operation; try again later",
        },
    };

    /// <summary>A refusal, told by its cause (never by its message, which is not written for the model).</summary>
    private static MemoryToolResult FromRefusal(PolicyViolationException refused, string? key) => refused.Cause switch
    {
        PolicyRefusalCause.RateLimited => new MemoryToolResult
        {
            Status = MemoryToolStatus.RateLimited,
            Key = key,
            Reason = refused.Reason,
            Rule = refused.RateLimit?.ToString(),
            RetryAfterSeconds = refused.RetryAfter is { } retryAfter ? RetryAfterSeconds(retryAfter) : null,
        },
        PolicyRefusalCause.ApprovalRequired when refused.Approval is { } request => ApprovalRequired(request, key),
        PolicyRefusalCause.AuditUnavailable or PolicyRefusalCause.LimitBackendUnavailable => new MemoryToolResult
        {
            Status = MemoryToolStatus.Unavailable,
            Key = key,
            Retryable = true,
            Reason = refused.Cause == PolicyRefusalCause.AuditUnavailable
                ? "the decision log cannot record operations right now, so nothing was read or changed; try again later"
                : "the shared rate-limit service is unavailable, so nothing was read or changed; try again later",
        },
        PolicyRefusalCause.HandlerFailed or PolicyRefusalCause.UndefinedVerdict => new MemoryToolResult
        {
            Status = MemoryToolStatus.Failed,
            Key = key,
            Committed = false,
            Reason = "a policy rule failed while judging this request, so it was refused; nothing was changed",
            Rule = refused.Rule?.ToString(),
        },
        PolicyRefusalCause.NestingTooDeep => new MemoryToolResult
        {
            Status = MemoryToolStatus.Failed,
            Key = key,
            Committed = false,
            Reason = "policy rules called the memory store inside each other too deeply, so it was refused; nothing was changed",
        },
        _ => new MemoryToolResult
        {
            Status = MemoryToolStatus.Denied,
            Key = key,
            Reason = string.IsNullOrEmpty(refused.Reason) ? "denied by policy" : refused.Reason,
            Rule = refused.Rule?.ToString(),
        },
    };

    private static string Explain(ApprovalState? state) => state switch
    {
        ApprovalState.Executed => "was already used",
        ApprovalState.Rejected => "was rejected",
        ApprovalState.Expired => "has expired",
        ApprovalState.Pending => "does not match this call",
        _ => "is unknown",
    };

    /// <summary>Whole seconds, rounded up, at least 1: waiting that long always finds a token.</summary>
    internal static long RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));

    internal static string Timestamp(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
