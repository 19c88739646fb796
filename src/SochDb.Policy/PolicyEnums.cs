namespace SochDb.Policy;

/// <summary>When a handler runs.</summary>
public enum PolicyTrigger
{
    /// <summary>Before a value is written; may deny or modify the value.</summary>
    BeforeWrite = 0,
    /// <summary>After a write is durable; side effects only.</summary>
    AfterWrite = 1,
    /// <summary>Before a read; may deny.</summary>
    BeforeRead = 2,
    /// <summary>After a read; may deny (withhold) or modify (redact) the value returned.</summary>
    AfterRead = 3,
    /// <summary>Before a delete; may deny.</summary>
    BeforeDelete = 4,
    /// <summary>After a delete is durable; side effects only.</summary>
    AfterDelete = 5,
}

/// <summary>The kind of store operation.</summary>
public enum PolicyOperation
{
    /// <summary>A read (Get, or an item yielded by Scan).</summary>
    Read = 0,
    /// <summary>A write (Put).</summary>
    Write = 1,
    /// <summary>A delete.</summary>
    Delete = 2,
    /// <summary>Every operation; meaningful for rate limits only.</summary>
    All = 3,
}

/// <summary>A handler's verdict where only allow or deny make sense.</summary>
public enum PolicyAction
{
    /// <summary>Let the operation go on.</summary>
    Allow = 0,
    /// <summary>Refuse the operation.</summary>
    Deny = 1,
}

/// <summary>The kind of a <see cref="PolicyDecision"/> (public as <see cref="PolicyDecision.Result"/>).</summary>
internal enum PolicyDecisionKind
{
    /// <summary>Let the operation go on.</summary>
    Allow = 0,
    /// <summary>Refuse the operation.</summary>
    Deny = 1,
    /// <summary>Replace the value (BeforeWrite, AfterRead).</summary>
    Modify = 2,
    /// <summary>Hold the operation until a person approves it (before-triggers only; see <see cref="PolicyDecision.RequireApproval"/>).</summary>
    RequireApproval = 3,
}

/// <summary>Whether a rule's verdicts are enforced or only recorded.</summary>
public enum EnforcementMode
{
    /// <summary>Verdicts take effect (the default).</summary>
    Enforce = 0,

    /// <summary>
    /// Verdicts are recorded, not applied: a Deny, a failure or an approval requirement is audited as
    /// <c>WouldDeny</c> and counted, and the operation proceeds; a Modify is recorded, not applied.
    /// </summary>
    Shadow = 1,
}

/// <summary>
/// Why the engine refused an operation (<see cref="PolicyViolationException.Cause"/>). Callers switch on it, never on
/// the message: <see cref="AuditUnavailable"/> and <see cref="LimitBackendUnavailable"/> are transient (retry later),
/// <see cref="RateLimited"/> frees up after <see cref="PolicyViolationException.RetryAfter"/>,
/// <see cref="ApprovalRequired"/> waits for a person, and the others are decisions or faults of the policy itself.
/// </summary>
public enum PolicyRefusalCause
{
    /// <summary>
    /// A rule denied it; also a batch item that needs approval (approvals cover single operations) and an approval
    /// requirement met while too many requests are already pending (no request was made). A rate limit is
    /// <see cref="RateLimited"/>, an approval being waited for is <see cref="ApprovalRequired"/>.
    /// </summary>
    Denied = 0,
    /// <summary>A handler threw; the engine fails closed.</summary>
    HandlerFailed = 1,
    /// <summary>A handler returned a verdict its trigger does not allow (or one that is not defined).</summary>
    UndefinedVerdict = 2,
    /// <summary>Guarded operations started from handlers nested deeper than the engine allows.</summary>
    NestingTooDeep = 3,
    /// <summary>The durable decision log could not record it and fails closed; retry once the log recovers.</summary>
    AuditUnavailable = 4,
    /// <summary>The shared rate-limit backend was unavailable and fails closed; retry once it recovers.</summary>
    LimitBackendUnavailable = 5,
    /// <summary>
    /// A rate limit had no token; no limit lost a token to the operation. <see cref="PolicyViolationException.RateLimit"/>,
    /// <see cref="PolicyViolationException.ScopeValue"/> and <see cref="PolicyViolationException.RetryAfter"/> say which
    /// limit and when to retry.
    /// </summary>
    RateLimited = 6,
    /// <summary>
    /// A rule requires a person to approve the operation first (<see cref="PolicyDecision.RequireApproval"/>); nothing
    /// ran. <see cref="PolicyViolationException.Approval"/> is the pending request, to approve or reject in
    /// <see cref="PolicyEngine.Approvals"/>.
    /// </summary>
    ApprovalRequired = 7,
}

/// <summary>
/// What the engine does with guarded operations while a dependency it needs cannot answer: the durable decision log
/// (<see cref="AuditOptions.SinkFailure"/>) or the shared rate-limit backend
/// (<see cref="PolicyEngineOptions.RateLimitBackendFailure"/>).
/// </summary>
public enum FailureMode
{
    /// <summary>
    /// Refuse guarded operations (<see cref="PolicyViolationException"/> with cause
    /// <see cref="PolicyRefusalCause.AuditUnavailable"/> or <see cref="PolicyRefusalCause.LimitBackendUnavailable"/>,
    /// audited <see cref="AuditResult.Failed"/>) until the dependency answers again: nothing happens that the log cannot
    /// show or the limit did not allow. The default.
    /// </summary>
    FailClosed = 0,

    /// <summary>
    /// Let operations go on: a failing decision log keeps entries in its queue (then <see cref="AuditOptions.Overflow"/>
    /// applies) while the batch is retried; a failing limit backend is skipped (counted, and said in the entry's reason).
    /// </summary>
    FailOpen = 1,

    /// <summary>
    /// The rate-limit backend only: check the limits against in-process buckets of this engine until the backend answers
    /// again. A decision log refuses it.
    /// </summary>
    LocalFallback = 2,
}
