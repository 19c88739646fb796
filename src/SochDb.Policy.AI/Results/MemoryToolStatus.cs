namespace SochDb.Policy.AI;

/// <summary>The <c>status</c> field of every memory tool result, as the model reads it.</summary>
public static class MemoryToolStatus
{
    /// <summary>The operation ran.</summary>
    public const string Ok = "ok";

    /// <summary>A policy rule refused the operation; the store was not changed (a withheld read returns no value).</summary>
    public const string Denied = "denied";

    /// <summary>A rate limit refused the operation; <c>retry_after_seconds</c> says when to try again.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>A policy rule or the store failed; the result says whether anything was committed.</summary>
    public const string Failed = "failed";

    /// <summary>
    /// Something the policy depends on (the decision log, the shared rate-limit store) is unavailable for now, so the
    /// operation was refused and nothing changed; <c>retryable</c> is true: the same call may succeed later.
    /// </summary>
    public const string Unavailable = "unavailable";

    /// <summary>A rule requires a person to approve the operation first; it has not run.</summary>
    public const string ApprovalRequired = "approval_required";

    /// <summary>The tool's arguments were refused before the store was touched; <c>argument</c> names the one to fix.</summary>
    public const string InvalidArgument = "invalid_argument";
}
