using System;
using SochDb.Policy.Audit;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Engine;

/// <summary>
/// What one guarded operation's decision came to, worked out once: the result, the deciding rule, why (in the policy's
/// own words or the engine's, never an exception's message), the typed cause of a refusal, what shadow rules would have
/// done, the note of limits not checked as configured, and the value a rule put in place of the caller's. Refusal
/// exceptions, audit entries, metrics, spans, <see cref="PolicyEngine.Explain(PolicyOperation, ReadOnlySpan{byte}, PolicyContext?, byte[])"/>
/// and the AI tools' results all read it; none works it out again.
/// </summary>
internal readonly struct DecisionOutcome
{
    // Everything but the plain allowed outcome lives in one object, so the outcome is one reference wide: the one
    // routine keeps it across the store call, and a plain allow (null) costs that routine one store of null, not ten
    // fields. Outcomes other than a plain allow are refusals (which throw), or notes and modifications (rare).
    private readonly Details? _details;

    private DecisionOutcome(AuditResult result, PolicyRefusalCause cause, PolicyTrigger? trigger, PolicyRuleInfo? rule, string? ruleText,
        string? reason, ShadowNote shadow, string? limitNote, byte[]? modifiedValue, Exception? failure)
    {
        _details = new Details(result, cause, trigger, rule, ruleText ?? rule?.ToString(), reason, shadow, limitNote, modifiedValue, failure);
    }

    /// <summary>The result as audited and counted: Allowed, Modified or WouldDeny when the operation goes on; else a refusal.</summary>
    public AuditResult Result => _details?.Result ?? AuditResult.Allowed;

    /// <summary>Why it was refused (meaningful when <see cref="IsRefusal"/>).</summary>
    public PolicyRefusalCause Cause => _details?.Cause ?? default;

    /// <summary>The trigger whose handlers decided; null when no handler did (limits, admission) or for a plain allow.</summary>
    public PolicyTrigger? Trigger => _details?.Trigger;

    /// <summary>The deciding rule: the refusing rule, the modifying rule, or the shadow rule that would have refused.</summary>
    public PolicyRuleInfo? Rule => _details?.Rule;

    /// <summary>How the audit entry names the deciding rule (a limit or the audit log itself when no rule decided).</summary>
    public string? RuleText => _details?.RuleText;

    /// <summary>The reason of the decision as the policy gave it (or the engine's words for a failure), without notes.</summary>
    public string? Reason => _details?.Reason;

    public ShadowNote Shadow => _details is { } details ? details.Shadow : default;

    public string? LimitNote => _details?.LimitNote;

    /// <summary>The value an enforced rule put in place of the caller's; null when none did.</summary>
    public byte[]? ModifiedValue => _details?.ModifiedValue;

    /// <summary>What a handler threw, when one did (it becomes the refusal's inner exception).</summary>
    public Exception? Failure => _details?.Failure;

    public bool IsRefusal => Result is AuditResult.Denied or AuditResult.Failed or AuditResult.RateLimited;

    /// <summary>The plain allowed outcome, with nothing to note: the common path, recorded without composing anything.</summary>
    public bool IsPlainAllow => _details is null;

    /// <summary>The reason as the audit entry and the span carry it: the decision's reason, then what shadow rules would have done, then the limit note.</summary>
    public string? AuditReason
    {
        get
        {
            string? wouldModify = Shadow.WouldModify is null ? null : $"shadow: {Shadow.WouldModify} would modify the value (not applied)";
            if (Result == AuditResult.WouldDeny)
            {
                string wouldDeny = $"shadow: would be refused{(Shadow.Reason is null ? "" : ": " + Shadow.Reason)}; the operation proceeded";
                return Join(Join(wouldDeny, wouldModify), LimitNote);
            }

            return IsRefusal || Result == AuditResult.ApprovalRequired ? Reason : Join(Join(Reason, wouldModify), LimitNote);
        }
    }

    /// <summary>An operation the limits let through and no handler judged.</summary>
    public static DecisionOutcome Allowed(string? limitNote) =>
        limitNote is null ? default : new(AuditResult.Allowed, default, null, null, null, null, default, limitNote, null, null);

    /// <summary>
    /// The outcome of one evaluation (and of the earlier one of the same operation, whose shadow note comes first): a
    /// handler that threw fails closed; a fault of the handler (a verdict its trigger does not allow) refuses as a
    /// failure; a denial refuses; approval holds the operation; else it goes on, modified or not.
    /// </summary>
    public static DecisionOutcome Of(ref PolicyEvaluation evaluation, Exception? failure, in ShadowNote earlier, string? limitNote)
    {
        ShadowNote shadow = earlier.Then(in evaluation);
        if (failure is not null)
        {
            return new DecisionOutcome(AuditResult.Failed, PolicyRefusalCause.HandlerFailed, evaluation.Trigger, evaluation.CurrentRule, null,
                "the handler threw " + failure.GetType().Name, shadow, limitNote, null, failure);
        }

        if (evaluation.IsDenied)
        {
            return evaluation.IsFaulted
                ? new DecisionOutcome(AuditResult.Failed, PolicyRefusalCause.UndefinedVerdict, evaluation.Trigger, evaluation.DecidingRule, null,
                    evaluation.Reason, shadow, limitNote, null, null)
                : new DecisionOutcome(AuditResult.Denied, PolicyRefusalCause.Denied, evaluation.Trigger, evaluation.DecidingRule, null,
                    evaluation.Reason, shadow, limitNote, null, null);
        }

        if (evaluation.RequiresApproval)
        {
            return new DecisionOutcome(AuditResult.ApprovalRequired, PolicyRefusalCause.ApprovalRequired, evaluation.Trigger, evaluation.ApprovalRule, null,
                evaluation.ApprovalReason, shadow, limitNote, null, null);
        }

        return Proceeding(evaluation.Trigger, evaluation.ModifyingRule, evaluation.ModifiedValue, shadow, limitNote);
    }

    /// <summary>
    /// An operation that goes on: WouldDeny when a shadow rule would have refused it, Modified when an enforced rule
    /// changed the value, else Allowed.
    /// </summary>
    public static DecisionOutcome Proceeding(PolicyTrigger? trigger, PolicyRuleInfo? modifyingRule, byte[]? modifiedValue, in ShadowNote shadow,
        string? limitNote)
    {
        if (shadow.WouldDeny is not null)
        {
            return new DecisionOutcome(AuditResult.WouldDeny, default, trigger, shadow.WouldDeny, null, null, shadow, limitNote, modifiedValue, null);
        }

        if (modifyingRule is not null)
        {
            return new DecisionOutcome(AuditResult.Modified, default, trigger, modifyingRule, null, null, shadow, limitNote, modifiedValue, null);
        }

        // Allowed: the plain allow (nothing to note, nothing allocated) unless a shadow rule or a limit left a note.
        return limitNote is null && shadow.IsEmpty && modifiedValue is null
            ? default
            : new DecisionOutcome(AuditResult.Allowed, default, trigger, null, null, null, shadow, limitNote, modifiedValue, null);
    }

    /// <summary>A refusal the engine decides itself (admission, a limit backend, a batch item), in its own words.</summary>
    public static DecisionOutcome Refused(AuditResult result, PolicyRefusalCause cause, PolicyTrigger? trigger, PolicyRuleInfo? rule,
        string? ruleText, string reason, Exception? failure = null) =>
        new(result, cause, trigger, rule, ruleText, reason, default, null, null, failure);

    /// <summary>
    /// This outcome with a reason reworded for where it happened (a batch item), same result, rule and cause; an approval
    /// requirement becomes a denial (no request is made for a batch item, so none is pending).
    /// </summary>
    public DecisionOutcome WithReason(string reason) =>
        new(Result, Cause == PolicyRefusalCause.ApprovalRequired ? PolicyRefusalCause.Denied : Cause, Trigger, Rule, RuleText, reason, Shadow,
            LimitNote, ModifiedValue, Failure);

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : first + "; " + second;

    private sealed class Details
    {
        public Details(AuditResult result, PolicyRefusalCause cause, PolicyTrigger? trigger, PolicyRuleInfo? rule, string? ruleText,
            string? reason, ShadowNote shadow, string? limitNote, byte[]? modifiedValue, Exception? failure)
        {
            Result = result;
            Cause = cause;
            Trigger = trigger;
            Rule = rule;
            RuleText = ruleText;
            Reason = reason;
            Shadow = shadow;
            LimitNote = limitNote;
            ModifiedValue = modifiedValue;
            Failure = failure;
        }

        public AuditResult Result { get; }

        public PolicyRefusalCause Cause { get; }

        public PolicyTrigger? Trigger { get; }

        public PolicyRuleInfo? Rule { get; }

        public string? RuleText { get; }

        public string? Reason { get; }

        public ShadowNote Shadow { get; }

        public string? LimitNote { get; }

        public byte[]? ModifiedValue { get; }

        public Exception? Failure { get; }
    }
}

/// <summary>What shadow rules would have done to one operation (nothing of it was applied).</summary>
internal readonly struct ShadowNote
{
    public ShadowNote(PolicyRuleInfo? wouldDeny, string? reason, PolicyRuleInfo? wouldModify)
    {
        WouldDeny = wouldDeny;
        Reason = reason;
        WouldModify = wouldModify;
    }

    public PolicyRuleInfo? WouldDeny { get; }

    public string? Reason { get; }

    public PolicyRuleInfo? WouldModify { get; }

    public bool IsEmpty => WouldDeny is null && WouldModify is null;

    /// <summary>This note, completed by a later evaluation of the same operation (the first would-be denial wins).</summary>
    public ShadowNote Then(in PolicyEvaluation later) => WouldDeny is not null
        ? new ShadowNote(WouldDeny, Reason, WouldModify ?? later.WouldModifyRule)
        : new ShadowNote(later.WouldDenyRule, later.WouldDenyReason, WouldModify ?? later.WouldModifyRule);
}
