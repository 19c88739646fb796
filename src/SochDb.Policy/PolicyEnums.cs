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

/// <summary>The kind of a <see cref="PolicyDecision"/>.</summary>
public enum PolicyDecisionKind
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

/// <summary>Extensions over the policy enums.</summary>
public static class PolicyTriggerExtensions
{
    /// <summary>The operation a trigger belongs to.</summary>
    public static PolicyOperation Operation(this PolicyTrigger trigger) => trigger switch
    {
        PolicyTrigger.BeforeWrite or PolicyTrigger.AfterWrite => PolicyOperation.Write,
        PolicyTrigger.BeforeRead or PolicyTrigger.AfterRead => PolicyOperation.Read,
        _ => PolicyOperation.Delete,
    };

    /// <summary>Whether a handler on this trigger may return <see cref="PolicyDecisionKind.Modify"/>.</summary>
    public static bool CanModify(this PolicyTrigger trigger) =>
        trigger is PolicyTrigger.BeforeWrite or PolicyTrigger.AfterRead;

    /// <summary>Whether handlers on this trigger run before the store operation (and so may deny it).</summary>
    public static bool IsBefore(this PolicyTrigger trigger) =>
        trigger is PolicyTrigger.BeforeWrite or PolicyTrigger.BeforeRead or PolicyTrigger.BeforeDelete;
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
