using System;
using System.Collections.Generic;
using System.Text;

namespace SochDb.Policy;

/// <summary>
/// One thing wrong with a set of rules as a whole (docs/diagnostics SOCH0014–SOCH0017): a rule that never runs, one
/// that repeats another, a denial that leaves its parent key open, an approval or redaction never reached.
/// </summary>
public sealed class PolicyFinding
{
    internal PolicyFinding(string id, bool isWarning, PolicyRuleInfo rule, IReadOnlyList<PolicyRuleInfo> relatedRules, string message)
    {
        Id = id;
        IsWarning = isWarning;
        Rule = rule;
        RelatedRules = relatedRules;
        Message = message;
    }

    /// <summary>The diagnostic ID: <c>SOCH0014</c> (unreachable rule), <c>SOCH0015</c> (duplicate rule), <c>SOCH0016</c> (open parent), <c>SOCH0017</c> (approval or redaction never reached).</summary>
    public string Id { get; }

    /// <summary>
    /// True for a warning: a rule does nothing, or repeats another, almost always a mistake (SOCH0014, SOCH0015,
    /// SOCH0017). False for information worth a look while the rules do what they say (SOCH0016, an open parent key).
    /// </summary>
    public bool IsWarning { get; }

    /// <summary>The rule the finding is about.</summary>
    public PolicyRuleInfo Rule { get; }

    /// <summary>The other rules involved: the denials that refuse its keys first, or the rule it repeats.</summary>
    public IReadOnlyList<PolicyRuleInfo> RelatedRules { get; }

    /// <summary>What is wrong, naming the rules.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Id} {(IsWarning ? "warning" : "info")}: {Message}";
}

/// <summary>What <see cref="PolicyEngine.Analyze"/> found in the rules an engine holds.</summary>
public sealed class PolicySetReport
{
    internal PolicySetReport(int ruleCount, IReadOnlyList<PolicyFinding> findings, IReadOnlyList<PolicyRuleInfo> notAnalysed)
    {
        RuleCount = ruleCount;
        Findings = findings;
        NotAnalysed = notAnalysed;
    }

    /// <summary>How many rules were analysed (compiled, configured and run-time).</summary>
    public int RuleCount { get; }

    /// <summary>The findings, in the order of the rules they are about.</summary>
    public IReadOnlyList<PolicyFinding> Findings { get; }

    /// <summary>
    /// Rules about which some question could not be decided within the analysis budget (patterns whose automata grow
    /// too large). Nothing is claimed about them: a finding is reported only when it is certain.
    /// </summary>
    public IReadOnlyList<PolicyRuleInfo> NotAnalysed { get; }

    /// <summary>Whether any finding is a warning.</summary>
    public bool HasWarnings
    {
        get
        {
            foreach (PolicyFinding finding in Findings)
            {
                if (finding.IsWarning)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder().Append(RuleCount).Append(" rules, ").Append(Findings.Count).Append(Findings.Count == 1 ? " finding" : " findings");
        if (NotAnalysed.Count > 0)
        {
            text.Append(", ").Append(NotAnalysed.Count).Append(" not analysed");
        }

        foreach (PolicyFinding finding in Findings)
        {
            text.Append(Environment.NewLine).Append(finding);
        }

        return text.ToString();
    }
}
