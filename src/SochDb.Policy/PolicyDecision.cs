using System;

namespace SochDb.Policy;

/// <summary>A handler's verdict: allow, deny (with a reason) or modify (with the replacement value).</summary>
public readonly struct PolicyDecision : IEquatable<PolicyDecision>
{
    private PolicyDecision(PolicyDecisionKind kind, string? reason, byte[]? value)
    {
        Kind = kind;
        Reason = reason;
        Value = value;
    }

    /// <summary>What the handler decided.</summary>
    internal PolicyDecisionKind Kind { get; }

    /// <summary>
    /// What the handler decided, in the decision log's words: <see cref="AuditResult.Allowed"/>,
    /// <see cref="AuditResult.Denied"/>, <see cref="AuditResult.Modified"/> or <see cref="AuditResult.ApprovalRequired"/>;
    /// <see cref="AuditResult.Failed"/> for a verdict that is none of them (a number cast to <see cref="PolicyAction"/>),
    /// which the engine refuses as a failing handler. Whether the engine applies it depends on the trigger (a Modify is
    /// for BeforeWrite and AfterRead, an approval for before-triggers).
    /// </summary>
    public AuditResult Result => Kind switch
    {
        PolicyDecisionKind.Allow => AuditResult.Allowed,
        PolicyDecisionKind.Deny => AuditResult.Denied,
        PolicyDecisionKind.Modify => AuditResult.Modified,
        PolicyDecisionKind.RequireApproval => AuditResult.ApprovalRequired,
        _ => AuditResult.Failed,
    };

    /// <summary>Why the operation was denied (or needs approval), when the handler said.</summary>
    public string? Reason { get; }

    /// <summary>The replacement value of a <see cref="Modify"/> decision.</summary>
    public byte[]? Value { get; }

    /// <summary>Let the operation go on.</summary>
    public static PolicyDecision Allow => default;

    /// <summary>Refuse the operation, optionally saying why.</summary>
    public static PolicyDecision Deny(string? reason = null) => new(PolicyDecisionKind.Deny, reason, null);

    /// <summary>Replace the value (BeforeWrite: what is written; AfterRead: what the caller sees).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public static PolicyDecision Modify(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new PolicyDecision(PolicyDecisionKind.Modify, null, value);
    }

    /// <summary>
    /// Hold the operation until a person approves it (BeforeWrite, BeforeRead, BeforeDelete). It does not stop
    /// evaluation: a later Deny still denies (Deny wins). When no rule denies, the operation does not run; the caller
    /// gets <see cref="PolicyViolationException"/> with cause <see cref="PolicyRefusalCause.ApprovalRequired"/> and a
    /// request (<see cref="PolicyViolationException.Approval"/>) that <see cref="PolicyEngine.Approvals"/> can approve
    /// (the operation then runs once) or reject. On an after-trigger it is a handler fault (fails closed).
    /// </summary>
    /// <param name="reason">Why a person must look, shown to the approver (and to an agent).</param>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is null or empty.</exception>
    public static PolicyDecision RequireApproval(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new PolicyDecision(PolicyDecisionKind.RequireApproval, reason, null);
    }

    /// <summary>
    /// Converts an allow/deny action. A value that is neither (a number cast to <see cref="PolicyAction"/>) becomes a
    /// verdict the engine refuses as a failure, never an Allow.
    /// </summary>
    public static implicit operator PolicyDecision(PolicyAction action) => action switch
    {
        PolicyAction.Allow => default,
        PolicyAction.Deny => new PolicyDecision(PolicyDecisionKind.Deny, null, null),
        _ => new PolicyDecision(UndefinedKind, $"handler returned an undefined PolicyAction ({(int)action})", null),
    };

    // Outside every defined kind: the engine's evaluation treats it as a failing handler.
    private const PolicyDecisionKind UndefinedKind = (PolicyDecisionKind)(-1);

    /// <inheritdoc />
    public bool Equals(PolicyDecision other) => Kind == other.Kind && Reason == other.Reason && ReferenceEquals(Value, other.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PolicyDecision other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Reason, Value);

    /// <summary>Equality.</summary>
    public static bool operator ==(PolicyDecision left, PolicyDecision right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PolicyDecision left, PolicyDecision right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        PolicyDecisionKind.Deny => Reason is null ? "Deny" : $"Deny({Reason})",
        PolicyDecisionKind.Modify => $"Modify({Value!.Length} bytes)",
        PolicyDecisionKind.RequireApproval => $"RequireApproval({Reason})",
        PolicyDecisionKind.Allow => "Allow",
        _ => $"Undefined({(int)Kind})",
    };
}
