using System;
using System.Collections.Generic;
using System.Text;
using SochDb.Policy.Generators.Model;
using SochDb.Policy.Glob;
using SochDb.Policy.Matching.Planning;

namespace SochDb.Policy.Generators;

/// <summary>One rule placed in the plan.</summary>
internal sealed class RulePlan : IPlannedRule
{
    public RulePlan(RuleSpec rule, int index, int triggerIndex, PatternPlan pattern)
    {
        Rule = rule;
        Index = index;
        TriggerIndex = triggerIndex;
        Pattern = pattern;
    }

    public RuleSpec Rule { get; }

    /// <summary>Index in the set's rule table (dispatch order across triggers).</summary>
    public int Index { get; }

    /// <summary>Index among the rules of its trigger (dispatch order; the number collected for a match).</summary>
    public int TriggerIndex { get; }

    int IPlannedRule.Order => TriggerIndex;

    /// <summary>Where the rule is filed and how it is tested: the planner the run-time table uses too.</summary>
    public PatternPlan Pattern { get; }

    /// <summary>The segments after the literal path (not counting a trailing <c>**</c>).</summary>
    public SegmentTest[] Remainder => Pattern.Remainder;

    /// <summary>Whether the pattern ends in <c>/**</c>: the key must go on below the matched segments.</summary>
    public bool TrailingDoubleStar => Pattern.TrailingDoubleStar;

    /// <summary>When the pattern holds a <c>**</c> that is not trailing: index into <see cref="DispatchPlan.PatternMatchers"/>, else -1.</summary>
    public int PatternMatcherField { get; set; } = -1;

    /// <summary>Whether some node finds this rule through an anchor (then its test is a method of its own).</summary>
    public bool Anchored { get; set; }

    /// <summary>For <see cref="RuleKind.Redact"/>: index into <see cref="DispatchPlan.Redactions"/>.</summary>
    public int RedactionField { get; set; } = -1;
}

/// <summary>The rules of one trigger and their trie.</summary>
internal sealed class TriggerPlan
{
    public TriggerPlan(PolicyTriggerKind trigger, RulePlan[] rules, TrieNode root)
    {
        Trigger = trigger;
        Rules = rules;
        Root = root;
    }

    public PolicyTriggerKind Trigger { get; }

    public RulePlan[] Rules { get; }

    public TrieNode Root { get; }

    /// <summary>The rules run through the trigger's rule switch: those found by collecting nodes, in dispatch order.</summary>
    public List<RulePlan> CollectedRules { get; } = new();

    private readonly HashSet<string> _methodNames = new(StringComparer.Ordinal);

    /// <summary>A method name no other node or helper of this trigger has: <paramref name="name"/>, or it with a number added.</summary>
    public string UniqueMethodName(string name)
    {
        string candidate = name;
        for (int i = 2; !_methodNames.Add(candidate); i++)
        {
            candidate = name + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}

/// <summary>Everything the emitter writes for one type.</summary>
internal sealed class DispatchPlan
{
    public DispatchPlan(PolicySetSpec spec) => Spec = spec;

    public PolicySetSpec Spec { get; }

    public List<RulePlan> Rules { get; } = new();

    public List<TriggerPlan> Triggers { get; } = new();

    /// <summary>Segment patterns matched by the runtime's automaton (one static field each, deduplicated).</summary>
    public List<string> SegmentMatchers { get; } = new();

    /// <summary>Whole patterns matched by the runtime (a <c>**</c> before the last segment).</summary>
    public List<string> PatternMatchers { get; } = new();

    /// <summary>Redaction texts (one static UTF-8 array each).</summary>
    public List<string> Redactions { get; } = new();

    /// <summary>Whether some anchor counts segments from the node (the file then needs <c>SegmentAt</c>).</summary>
    public bool UsesSegmentAt { get; set; }

    /// <summary>Whether some anchor counts segments from the key's end (the file then needs <c>SegmentFromEnd</c>).</summary>
    public bool UsesSegmentFromEnd { get; set; }

    /// <summary>Whether some anchor compares a prefix or suffix (the file then needs <c>PartNumber</c>).</summary>
    public bool UsesPartNumber { get; set; }
}

/// <summary>
/// Turns a spec into a dispatch plan: per trigger, the dispatch tree the run-time table uses too (a trie of literal
/// segments, with anchors for rules whose next segment is a wildcard), and for each rule the test of the segments after
/// its path, inline where the shape is simple and through the runtime's automaton otherwise.
/// </summary>
internal static class DispatchPlanner
{
    public static DispatchPlan Plan(PolicySetSpec spec)
    {
        var plan = new DispatchPlan(spec);
        var perTrigger = new Dictionary<PolicyTriggerKind, List<RulePlan>>();
        for (int i = 0; i < spec.Rules.Length; i++)
        {
            RuleSpec rule = spec.Rules[i];
            if (!perTrigger.TryGetValue(rule.Trigger, out List<RulePlan>? list))
            {
                list = new List<RulePlan>();
                perTrigger.Add(rule.Trigger, list);
            }

            // The parser only admits valid patterns, so this cannot fail.
            GlobParser.TryParse(rule.Pattern, out GlobPattern? parsed, out _);
            var rulePlan = new RulePlan(rule, i, list.Count, PatternPlan.For(parsed!));
            if (rulePlan.Pattern.NeedsPatternMatcher)
            {
                rulePlan.PatternMatcherField = IndexOf(plan.PatternMatchers, rule.Pattern);
            }

            foreach (SegmentTest test in rulePlan.Remainder)
            {
                if (test.Kind == SegmentTestKind.Program)
                {
                    IndexOf(plan.SegmentMatchers, test.Source);
                }
            }

            if (rule.Kind == RuleKind.Redact)
            {
                rulePlan.RedactionField = IndexOf(plan.Redactions, rule.Replacement);
            }

            list.Add(rulePlan);
            plan.Rules.Add(rulePlan);
        }

        foreach (PolicyTriggerKind trigger in (PolicyTriggerKind[])Enum.GetValues(typeof(PolicyTriggerKind)))
        {
            if (perTrigger.TryGetValue(trigger, out List<RulePlan>? rules))
            {
                var triggerPlan = new TriggerPlan(trigger, rules.ToArray(), DispatchTree.Build(rules));
                Annotate(plan, triggerPlan, triggerPlan.Root, parent: null);
                plan.Triggers.Add(triggerPlan);
            }
        }

        return plan;
    }

    /// <summary>Fills in each node's method name, whether it inherits rules, and the collected rules.</summary>
    private static void Annotate(DispatchPlan plan, TriggerPlan trigger, TrieNode node, TrieNode? parent)
    {
        if (parent is not null)
        {
            node.Inherits = parent.Inherits || parent.Rules.Count > 0 || parent.Anchors.Count > 0;
            node.MethodName = trigger.UniqueMethodName(Identifier(parent.MethodName, node.Segment));
        }
        else
        {
            node.MethodName = trigger.UniqueMethodName(trigger.Trigger.ToString());
        }

        if (node.Collects)
        {
            foreach (RulePlan rule in node.Rules)
            {
                AddCollected(trigger, rule);
            }

            foreach (AnchorGroup<RulePlan> group in node.Anchors)
            {
                plan.UsesSegmentAt |= !group.Kind.FromEnd && group.Kind.Segment > 0;
                plan.UsesSegmentFromEnd |= group.Kind.FromEnd;
                plan.UsesPartNumber |= group.Kind.Part != AnchorPart.Whole;
                foreach (RulePlan rule in group.AllRules())
                {
                    rule.Anchored = true;
                    AddCollected(trigger, rule);
                }
            }
        }

        foreach (TrieNode child in node.Children)
        {
            Annotate(plan, trigger, child, node);
        }
    }

    /// <summary>Rule numbers go in trigger order, so the switch lists them in dispatch order; a rule filed twice is listed once.</summary>
    private static void AddCollected(TriggerPlan trigger, RulePlan rule)
    {
        List<RulePlan> collected = trigger.CollectedRules;
        int at = collected.Count;
        while (at > 0 && collected[at - 1].TriggerIndex > rule.TriggerIndex)
        {
            at--;
        }

        if (at > 0 && collected[at - 1] == rule)
        {
            return;
        }

        collected.Insert(at, rule);
    }

    /// <summary><c>BeforeWrite_t1_users</c>: letters, digits and '_' of the segment kept, anything else as '_'.</summary>
    internal static string Identifier(string parent, string segment)
    {
        var name = new StringBuilder(parent).Append('_');
        foreach (char c in segment)
        {
            name.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' ? c : '_');
        }

        return name.ToString();
    }

    internal static int IndexOf(List<string> list, string value)
    {
        int index = list.IndexOf(value);
        if (index < 0)
        {
            list.Add(value);
            index = list.Count - 1;
        }

        return index;
    }
}
