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
    /// <summary>A rule in shadow mode would have refused the operation (denied, failed or required approval); the operation proceeded.</summary>
    WouldDeny = 5,
    /// <summary>A rule required a human's approval; the operation did not run and waits for it.</summary>
    ApprovalRequired = 6,
}
