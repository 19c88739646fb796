using System.Collections.Generic;

namespace SochDb.Policy.Explaining;

/// <summary>Writes down each rule's outcome while Explain runs an evaluation.</summary>
internal sealed class ExplanationRecorder
{
    private bool _decided;

    public List<RuleExplanation> Rules { get; } = new();

    public void Outcome(PolicyRuleInfo? rule, PolicyDecision decision, PolicyTrigger trigger, bool shadow)
    {
        RuleOutcome outcome = decision.Kind switch
        {
            PolicyDecisionKind.Allow => RuleOutcome.Allowed,
            PolicyDecisionKind.Deny => RuleOutcome.Denied,
            PolicyDecisionKind.Modify when trigger.CanModify() => RuleOutcome.Modified,
            PolicyDecisionKind.RequireApproval when trigger.IsBefore() => RuleOutcome.ApprovalRequired,
            _ => RuleOutcome.Failed,
        };
        Outcome(rule, outcome, decision.Reason, shadow);
    }

    public void Outcome(PolicyRuleInfo? rule, RuleOutcome outcome, string? reason, bool shadow)
    {
        if (rule is null)
        {
            return;
        }

        Rules.Add(new RuleExplanation(rule, outcome, reason, shadow, Reached: !_decided));
        if (!shadow && outcome is RuleOutcome.Denied or RuleOutcome.Failed or RuleOutcome.ApprovalRequired)
        {
            _decided = true;
        }
    }
}
