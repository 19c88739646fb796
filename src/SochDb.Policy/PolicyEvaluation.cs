using System;
using System.ComponentModel;

namespace SochDb.Policy.CompilerServices;

/// <summary>
/// The state of one trigger's evaluation, threaded by reference through every compiled set and run-time
/// handler: the key, the current value (with earlier modifications), and the outcome so far. Generated code
/// calls <see cref="Enter"/> before each handler and <see cref="Apply"/> with its decision. Public only for generated
/// code (and hand-written <see cref="CompiledPolicySet"/> subclasses); the engine creates it and reads its outcome.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct PolicyEvaluation
{
    private readonly ReadOnlySpan<byte> _originalValue;
    private byte[]? _modifiedValue;

    /// <summary>Starts an evaluation.</summary>
    internal PolicyEvaluation(PolicyTrigger trigger, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext? context)
    {
        this = default; // one block of zeros rather than a store per field (the outcome so far: nothing)
        Trigger = trigger;
        Key = key;
        _originalValue = value;
        Context = context ?? PolicyContext.Empty;
    }

    // Set by Explain: every rule's outcome is written down, and evaluation goes on past a denial.
    private Explaining.ExplanationRecorder? _recorder;

    /// <summary>Every rule of this evaluation runs in shadow (the engine or the compiled set is in shadow mode).</summary>
    internal bool ShadowAll { get; set; }

    /// <summary>Explain is running this evaluation: it records every rule and does not stop at a denial.</summary>
    internal readonly bool IsExplaining => _recorder is not null;

    /// <summary>The first shadow rule that would have denied (or failed, or required approval); null when none.</summary>
    public PolicyRuleInfo? WouldDenyRule { get; private set; }

    /// <summary>The first shadow rule that would have modified the value (the modification was not applied).</summary>
    public PolicyRuleInfo? WouldModifyRule { get; private set; }

    /// <summary>Why the shadow rule in <see cref="WouldDenyRule"/> would have denied.</summary>
    public string? WouldDenyReason { get; private set; }

    internal void RecordInto(Explaining.ExplanationRecorder recorder) => _recorder = recorder;

    /// <summary>A shadow rule's handler threw: recorded as a would-be denial, and evaluation goes on.</summary>
    internal void NoteShadowFailure(Exception exception)
    {
        string reason = $"the handler threw {exception.GetType().Name}"; // its type, not its message (which can quote keys or values)
        _recorder?.Outcome(CurrentRule, AuditResult.Failed, reason, shadow: true);
        NoteWouldDeny(reason);
    }

    /// <summary>Whether the rule that is running is in shadow.</summary>
    internal readonly bool CurrentIsShadow => ShadowAll || CurrentRule?.Mode == EnforcementMode.Shadow;

    private void NoteWouldDeny(string? reason)
    {
        if (WouldDenyRule is null)
        {
            WouldDenyRule = CurrentRule;
            WouldDenyReason = reason;
        }
    }

    /// <summary>The trigger being evaluated.</summary>
    public PolicyTrigger Trigger { get; }

    /// <summary>The operation's key.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The current value: the original, or the latest modification.</summary>
    public readonly ReadOnlySpan<byte> Value => _modifiedValue is null ? _originalValue : _modifiedValue;

    /// <summary>The caller's context.</summary>
    public PolicyContext Context { get; }

    /// <summary>The request a handler is given.</summary>
    public readonly PolicyRequest Request => new(Trigger, Key, Value, Context);

    /// <summary>Whether a handler denied the operation (evaluation stops at the first denial).</summary>
    internal bool IsDenied { get; private set; }

    /// <summary>
    /// Whether the denial is a handler fault rather than a verdict: the handler returned a decision its trigger cannot
    /// take (Modify on a trigger that cannot modify). The engine audits it as failed.
    /// </summary>
    internal bool IsFaulted { get; private set; }

    /// <summary>The reason given by the denying handler, if any.</summary>
    internal string? Reason { get; private set; }

    /// <summary>The rule that denied the operation.</summary>
    internal PolicyRuleInfo? DecidingRule { get; private set; }

    /// <summary>The last rule that modified the value.</summary>
    internal PolicyRuleInfo? ModifyingRule { get; private set; }

    /// <summary>The rule whose handler is running or ran last (names the culprit when a handler throws).</summary>
    internal PolicyRuleInfo? CurrentRule { get; private set; }

    /// <summary>
    /// Whether a handler returned <see cref="PolicyDecision.RequireApproval"/> (evaluation went on: a later Deny wins).
    /// </summary>
    public bool RequiresApproval { get; private set; }

    /// <summary>The first rule that required approval.</summary>
    public PolicyRuleInfo? ApprovalRule { get; private set; }

    /// <summary>The reason the first rule that required approval gave.</summary>
    public string? ApprovalReason { get; private set; }

    /// <summary>
    /// Nothing to act on: no denial, no approval required, no modification, nothing a shadow rule would have done. The
    /// engine's common outcome, read without composing anything.
    /// </summary>
    internal readonly bool IsPlainAllow =>
        !IsDenied && !RequiresApproval && _modifiedValue is null && ModifyingRule is null && WouldDenyRule is null && WouldModifyRule is null;

    /// <summary>Whether any handler replaced the value.</summary>
    internal readonly bool IsModified => _modifiedValue is not null;

    /// <summary>The replacement value, when <see cref="IsModified"/>.</summary>
    internal readonly byte[]? ModifiedValue => _modifiedValue;

    /// <summary>Records that <paramref name="rule"/>'s handler is about to run.</summary>
    public void Enter(PolicyRuleInfo rule) => CurrentRule = rule;

    /// <summary>
    /// Applies the current handler's decision. Returns <see langword="false"/> when evaluation must stop
    /// (the operation is denied). A Modify on a trigger that cannot modify is refused: it denies, because a
    /// handler that tried to change what it cannot change has misjudged the request (fail closed).
    /// </summary>
    public bool Apply(PolicyDecision decision)
    {
        bool shadow = CurrentIsShadow;
        _recorder?.Outcome(CurrentRule, decision, Trigger, shadow);
        if (IsDenied)
        {
            // A denial is final: nothing after it (not even a misbehaving caller that keeps applying) undoes it.
            // Explain still goes on, to show every matching rule's own verdict.
            return _recorder is not null;
        }

        if (shadow)
        {
            switch (decision.Kind)
            {
                case PolicyDecisionKind.Allow:
                    return true;
                case PolicyDecisionKind.Modify when Trigger.CanModify():
                    WouldModifyRule ??= CurrentRule; // recorded, not applied
                    return true;
                case PolicyDecisionKind.Deny:
                    NoteWouldDeny(decision.Reason);
                    return true;
                case PolicyDecisionKind.Modify:
                    NoteWouldDeny($"handler returned Modify on {Trigger}, which cannot modify a value");
                    return true;
                default:
                    NoteWouldDeny(decision.Reason ?? $"handler returned an undefined verdict ({(int)decision.Kind})");
                    return true;
            }
        }

        bool goOn = ApplyEnforced(decision);
        return goOn || _recorder is not null;
    }

    private bool ApplyEnforced(PolicyDecision decision)
    {
        switch (decision.Kind)
        {
            case PolicyDecisionKind.Allow:
                return true;
            case PolicyDecisionKind.Deny:
                Deny(decision.Reason);
                return false;
            case PolicyDecisionKind.Modify when Trigger.CanModify():
                _modifiedValue = decision.Value;
                ModifyingRule = CurrentRule;
                return true;
            case PolicyDecisionKind.Modify:
                Fault($"handler returned Modify on {Trigger}, which cannot modify a value");
                return false;
            case PolicyDecisionKind.RequireApproval when Trigger.IsBefore():
                // The first requirement names the request; evaluation goes on so that a later Deny still denies.
                if (!RequiresApproval)
                {
                    RequiresApproval = true;
                    ApprovalRule = CurrentRule;
                    ApprovalReason = decision.Reason;
                }

                return true;
            case PolicyDecisionKind.RequireApproval:
                // After the store ran there is nothing left to hold: a rule that asks for approval here fails closed.
                Fault($"handler returned RequireApproval on {Trigger}, which runs after the operation and cannot hold it");
                return false;
            default:
                // Not a verdict the engine knows (for example a PolicyAction cast from an arbitrary number): fail closed.
                Fault(decision.Reason ?? $"handler returned an undefined verdict ({(int)decision.Kind})");
                return false;
        }
    }

    /// <summary>Refuses the operation because the current handler misbehaved (the engine audits it as failed).</summary>
    private void Fault(string reason)
    {
        Deny(reason);
        IsFaulted = true;
    }

    /// <summary>Denies the operation on behalf of <see cref="CurrentRule"/>.</summary>
    internal void Deny(string? reason)
    {
        IsDenied = true;
        Reason = reason;
        DecidingRule = CurrentRule;
    }
}
