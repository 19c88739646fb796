using System;
using System.Collections.Generic;
using System.Threading;
using SochDb.Policy.Analysis;
using SochDb.Policy.Engine;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Analyses every rule the engine holds — compiled sets in the order given, then configured and run-time rules in
    /// registration order — as one set, exactly (every question about patterns is decided on automata, never guessed):
    /// rules that never run because unconditional denials refuse all their keys first (SOCH0014), rules that repeat
    /// another (SOCH0015), denials of <c>x/**</c> or <c>x/*</c> that leave the key <c>x</c> open (SOCH0016), and approvals
    /// or redactions never reached (SOCH0017). Unconditional denials are <see cref="Policies.DenyAll"/>,
    /// <see cref="Policies.Deny"/>, <c>[DenyAll]</c>, configured Deny rules, and compiled handlers whose body always denies,
    /// each in enforce mode.
    /// </summary>
    /// <returns>The findings; a question too large for the analysis budget leaves its rule in <see cref="PolicySetReport.NotAnalysed"/>.</returns>
    public PolicySetReport Analyze()
    {
        var infos = new List<PolicyRuleInfo>();
        var rules = new List<AnalysedRule>();
        foreach (CompiledPolicySet set in _compiled)
        {
            bool setEnforced = set.Mode == EnforcementMode.Enforce && !_shadowEngine;
            foreach (PolicyRuleInfo info in set.Rules)
            {
                infos.Add(info);
                rules.Add(Compiled(info, set, setEnforced));
            }
        }

        var runtime = new List<RuntimeRule>();
        RuleTable table = Volatile.Read(ref _rules);
        foreach (PolicyTrigger trigger in AllTriggers)
        {
            runtime.AddRange(table[trigger].Rules);
        }

        runtime.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        var handlers = new Dictionary<Delegate, string>();
        foreach (RuntimeRule rule in runtime)
        {
            infos.Add(rule.Info);
            rules.Add(Runtime(rule, handlers));
        }

        RuleSetAnalysis.Result result = RuleSetAnalysis.Analyze(rules);
        var findings = new List<PolicyFinding>(result.Findings.Count);
        foreach (RuleFinding finding in result.Findings)
        {
            var related = new PolicyRuleInfo[finding.Others.Length];
            for (int i = 0; i < related.Length; i++)
            {
                related[i] = infos[finding.Others[i]];
            }

            bool isWarning = finding.Id != RuleSetAnalysis.OpenParentId;
            findings.Add(new PolicyFinding(finding.Id, isWarning, infos[finding.Rule], related, finding.Message));
        }

        var notAnalysed = new List<PolicyRuleInfo>(result.NotAnalysed.Count);
        foreach (int index in result.NotAnalysed)
        {
            notAnalysed.Add(infos[index]);
        }

        return new PolicySetReport(rules.Count, findings, notAnalysed);
    }

    private static readonly PolicyTrigger[] AllTriggers =
    {
        PolicyTrigger.BeforeWrite, PolicyTrigger.AfterWrite, PolicyTrigger.BeforeRead,
        PolicyTrigger.AfterRead, PolicyTrigger.BeforeDelete, PolicyTrigger.AfterDelete,
    };

    /// <summary>A compiled rule: the generator marks handlers whose body always denies; class-level rules are named <c>[DenyAll]</c>, <c>[Redact]</c> ...</summary>
    private static AnalysedRule Compiled(PolicyRuleInfo info, CompiledPolicySet set, bool setEnforced)
    {
        bool classLevel = info.HandlerName.StartsWith('[');
        RuleEffect effect = info.Trigger is PolicyTrigger.AfterWrite or PolicyTrigger.AfterDelete ? RuleEffect.Observes
            : info.AlwaysDenies || info.HandlerName == "[DenyAll]" ? RuleEffect.AlwaysDenies
            : info.HandlerName == "[Redact]" ? RuleEffect.Modifies
            : info.HandlerName == "[RequireApproval]" ? RuleEffect.RequiresApproval
            : RuleEffect.Decides;

        // A [Redact] or [RequireApproval] carries a replacement or reason the rule description does not: never "the same action".
        string? identity = effect is RuleEffect.Modifies or RuleEffect.RequiresApproval ? null : info.HandlerName;
        string display = classLevel ? $"{info} on {set.Name}" : info.ToString();
        return new AnalysedRule((int)info.Trigger, info.Pattern, effect, identity, setEnforced && info.Mode == EnforcementMode.Enforce, display);
    }

    private AnalysedRule Runtime(RuntimeRule rule, Dictionary<Delegate, string> handlers)
    {
        PolicyRuleInfo info = rule.Info;
        Delegate handler = (Delegate?)rule.Handler ?? rule.Observer!;
        (RuleEffect effect, string? action) = rule.Observer is not null ? (RuleEffect.Observes, null) : Policies.EffectOf(rule.Handler!);
        if (!handlers.TryGetValue(handler, out string? identity))
        {
            // Equal delegates (same method, same target) are the same handler.
            identity = action ?? "handler#" + handlers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            handlers.Add(handler, identity);
        }

        bool enforced = !_shadowEngine && info.Mode == EnforcementMode.Enforce;
        return new AnalysedRule((int)info.Trigger, info.Pattern, effect, identity, enforced, info.ToString());
    }
}
