using System.Collections.Generic;

namespace SochDb.Policy.Explaining;

/// <summary>Writes down each rule's outcome while Explain runs an evaluation.</summary>
internal sealed class ExplanationRecorder
{
    private bool _decided;

    public List<RuleExplanation> Rules { get; } = new();

    public void Outcome(PolicyRuleInfo? rule, PolicyDecision decision, PolicyTrigger trigger, bool shadow)
    {
        AuditResult outcome = decision.Kind switch
        {
            PolicyDecisionKind.Allow => AuditResult.Allowed,
            PolicyDecisionKind.Deny => AuditResult.Denied,
            PolicyDecisionKind.Modify when trigger.CanModify() => AuditResult.Modified,
            PolicyDecisionKind.RequireApproval when trigger.IsBefore() => AuditResult.ApprovalRequired,
            _ => AuditResult.Failed,
        };
        Outcome(rule, outcome, decision.Reason, shadow);
    }

    public void Outcome(PolicyRuleInfo? rule, AuditResult outcome, string? reason, bool shadow)
    {
        if (rule is null)
        {
            return;
        }

        Rules.Add(new RuleExplanation(rule, outcome, reason, shadow, Reached: !_decided));
        if (!shadow && outcome is AuditResult.Denied or AuditResult.Failed or AuditResult.ApprovalRequired)
        {
            _decided = true;
        }
    }
}
