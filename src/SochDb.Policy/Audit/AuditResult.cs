namespace SochDb.Policy;

/// <summary>The outcome of one operation, as recorded in the audit log and the decisions counter.</summary>
public enum AuditResult
{
    /// <summary>Every handler allowed; the operation ran unchanged.</summary>
    Allowed = 0,
    /// <summary>A handler denied; the store was not changed (or, for AfterRead, the value was withheld).</summary>
    Denied = 1,
    /// <summary>The operation ran with a value a handler replaced (BeforeWrite: what was written; AfterRead: what was returned).</summary>
    Modified = 2,
    /// <summary>A rate limit refused the operation before any handler ran.</summary>
    RateLimited = 3,
    /// <summary>A handler threw or returned a decision its trigger cannot take; the operation was refused (fail closed),
    /// or, for AfterWrite/AfterDelete, the change was committed and the failure reported.</summary>
    Failed = 4,
    /// <summary>A rule in shadow mode would have denied (or failed, or required approval); the operation proceeded.</summary>
    WouldDeny = 5,
    /// <summary>A rule requires a person's approval; the operation did not run (yet).</summary>
    ApprovalRequired = 6,
    /// <summary>
    /// Not an operation outcome: a gap record in a durable log, saying how many entries the audit queue dropped and
    /// when (<see cref="FailureMode.FailOpen"/>). Its <see cref="AuditEntry.Reason"/> gives the count and the time span.
    /// </summary>
    EntriesDropped = 7,
    /// <summary>
    /// Not an operation outcome: retention removed the oldest entries of a durable log. Its <see cref="AuditEntry.Reason"/>
    /// names the checkpoint it left, so a checkpoint nobody witnessed (entries removed outside retention) shows.
    /// </summary>
    EntriesRemoved = 8,
}
