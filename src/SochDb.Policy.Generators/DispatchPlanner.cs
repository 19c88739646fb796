using System;
using System.Collections.Generic;
using System.Text;
using SochDb.Policy.Generators.Model;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Generators;

/// <summary>How a key segment is tested.</summary>
internal enum SegmentTestKind
{
    /// <summary><c>*</c>: any segment.</summary>
    Any,
    /// <summary>Inline span code: one or more <see cref="SegmentShape"/> alternatives.</summary>
    Shapes,
    /// <summary>The runtime's <c>GlobSegmentMatcher</c>, held in a static field.</summary>
    Matcher,
}

/// <summary>
/// A segment shape matched by span code: exactly <see cref="Prefix"/> (no star), or <see cref="Prefix"/>,
/// then anything, then <see cref="Suffix"/> (with a star). Byte-wise comparison is exact here: UTF-8 never
/// starts a character with a continuation byte, so a literal's bytes always align with character boundaries.
/// </summary>
internal sealed record SegmentShape(string Prefix, bool HasStar, string Suffix);

/// <summary>A test for one pattern segment.</summary>
internal sealed class SegmentTest
{
    public SegmentTest(SegmentTestKind kind, string source, SegmentShape[] shapes, int matcherField)
    {
        Kind = kind;
        Source = source;
        Shapes = shapes;
        MatcherField = matcherField;
    }

    public SegmentTestKind Kind { get; }

    /// <summary>The segment as written in the pattern.</summary>
    public string Source { get; }

    public SegmentShape[] Shapes { get; }

    /// <summary>For <see cref="SegmentTestKind.Matcher"/>: index into <see cref="DispatchPlan.SegmentMatchers"/>.</summary>
    public int MatcherField { get; }
}

/// <summary>One rule placed in the plan.</summary>
internal sealed class RulePlan
{
    public RulePlan(RuleSpec rule, int index, int triggerIndex)
    {
        Rule = rule;
        Index = index;
        TriggerIndex = triggerIndex;
    }

    public RuleSpec Rule { get; }

    /// <summary>Index in the set's rule table (dispatch order across triggers).</summary>
    public int Index { get; }

    /// <summary>Index among the rules of its trigger (dispatch order; the bit that marks a match).</summary>
    public int TriggerIndex { get; }

    /// <summary>The literal segments walked in the trie before the rest of the pattern is tested.</summary>
    public string[] LiteralPrefix { get; set; } = Array.Empty<string>();

    /// <summary>The segments after the literal prefix (not counting a trailing <c>**</c>).</summary>
    public SegmentTest[] Remainder { get; set; } = Array.Empty<SegmentTest>();

    /// <summary>Whether the pattern ends in <c>/**</c>: the key must go on below the matched segments.</summary>
    public bool TrailingDoubleStar { get; set; }

    /// <summary>When the pattern holds a <c>**</c> that is not trailing: index into <see cref="DispatchPlan.PatternMatchers"/>, else -1.</summary>
    public int PatternMatcherField { get; set; } = -1;

    /// <summary>For <see cref="RuleKind.Redact"/>: index into <see cref="DispatchPlan.Redactions"/>.</summary>
    public int RedactionField { get; set; } = -1;
}

/// <summary>A node of the literal-segment trie: the rules whose literal prefix ends here, and the longer prefixes.</summary>
internal sealed class TrieNode
{
    public TrieNode(string segment, byte[] bytes)
    {
        Segment = segment;
        Bytes = bytes;
    }

    public string Segment { get; }

    public byte[] Bytes { get; }

    /// <summary>The rules whose literal prefix ends at this node, in dispatch order.</summary>
    public List<RulePlan> Rules { get; } = new();

    public List<TrieNode> Children { get; } = new();

    public bool IsRoot { get; set; }

    /// <summary>The literal segments from the root, joined by '/' (empty at the root).</summary>
    public string Path { get; set; } = "";

    /// <summary>The UTF-8 length of <see cref="Path"/>: a key that reached this node starts with it.</summary>
    public int PathLength { get; set; }

    /// <summary>Where the segment after <see cref="Path"/> starts in the key (0 at the root).</summary>
    public int NextStart => IsRoot ? 0 : PathLength + 1;

    /// <summary>The name of this node's methods: the trigger, then the path's segments as far as they are identifier characters.</summary>
    public string MethodName { get; set; } = "";

    /// <summary>Whether a node above this one has rules, so its matches must be merged with this node's in dispatch order.</summary>
    public bool Inherits { get; set; }

    /// <summary>
    /// Whether rules found at this node and rules found below it can interleave in dispatch order: then the matches are
    /// collected, sorted and run at the end instead of run as they are found.
    /// </summary>
    public bool Collects => Inherits || (Rules.Count > 0 && Children.Count > 0);

    /// <summary>The most rules that can match below and at this node for one key (the size of the collection).</summary>
    public int Capacity { get; set; }
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

    /// <summary>Segment patterns matched by the runtime (one static field each, deduplicated).</summary>
    public List<string> SegmentMatchers { get; } = new();

    /// <summary>Whole patterns matched by the runtime (a <c>**</c> that is not trailing).</summary>
    public List<string> PatternMatchers { get; } = new();

    /// <summary>Redaction texts (one static UTF-8 array each).</summary>
    public List<string> Redactions { get; } = new();
}

/// <summary>
/// Turns a spec into a dispatch plan: per trigger, a trie of leading literal segments, and for each rule the
/// test of the segments after its prefix, inline where the shape is simple and through the runtime otherwise.
/// </summary>
internal static class DispatchPlanner
{
    private const int MaxInlineAlternatives = 8;

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

            var rulePlan = new RulePlan(rule, i, list.Count);
            PlanMatch(plan, rulePlan);
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
                var triggerPlan = new TriggerPlan(trigger, rules.ToArray(), BuildTrie(rules));
                Annotate(triggerPlan, triggerPlan.Root, parent: null);
                plan.Triggers.Add(triggerPlan);
            }
        }

        return plan;
    }

    private static void PlanMatch(DispatchPlan plan, RulePlan rule)
    {
        // The parser only admits valid patterns, so this cannot fail.
        GlobParser.TryParse(rule.Rule.Pattern, out GlobPattern? parsed, out _);
        GlobSegment[] segments = parsed!.Segments;
        int prefix = parsed.LiteralPrefixSegmentCount;
        var literals = new string[prefix];
        for (int i = 0; i < prefix; i++)
        {
            literals[i] = segments[i].Literal;
        }

        rule.LiteralPrefix = literals;
        int end = segments.Length;
        if (end > prefix && segments[end - 1].Kind == GlobSegmentKind.DoubleStar)
        {
            rule.TrailingDoubleStar = true;
            end--;
        }

        var tests = new List<SegmentTest>();
        for (int i = prefix; i < end; i++)
        {
            if (segments[i].Kind == GlobSegmentKind.DoubleStar)
            {
                // '**' spanning a variable number of segments in the middle: the runtime's matcher backtracks
                // over it; the trie still narrows the candidates to keys with the literal prefix.
                rule.PatternMatcherField = IndexOf(plan.PatternMatchers, rule.Rule.Pattern);
                rule.Remainder = Array.Empty<SegmentTest>();
                rule.TrailingDoubleStar = false;
                return;
            }

            tests.Add(PlanSegment(plan, segments[i]));
        }

        rule.Remainder = tests.ToArray();
    }

    private static SegmentTest PlanSegment(DispatchPlan plan, GlobSegment segment)
    {
        if (segment.Kind == GlobSegmentKind.Literal)
        {
            return new SegmentTest(SegmentTestKind.Shapes, segment.Source, new[] { new SegmentShape(segment.Literal, false, "") }, -1);
        }

        SegmentShape[]? shapes = TryInlineShapes(segment.Tokens);
        if (shapes is null)
        {
            return new SegmentTest(SegmentTestKind.Matcher, segment.Source, Array.Empty<SegmentShape>(), IndexOf(plan.SegmentMatchers, segment.Source));
        }

        foreach (SegmentShape shape in shapes)
        {
            if (shape.HasStar && shape.Prefix.Length == 0 && shape.Suffix.Length == 0)
            {
                return new SegmentTest(SegmentTestKind.Any, segment.Source, Array.Empty<SegmentShape>(), -1);
            }
        }

        return new SegmentTest(SegmentTestKind.Shapes, segment.Source, shapes, -1);
    }

    /// <summary>
    /// Expands braces and reduces each alternative to literal / prefix*suffix; null when some alternative holds
    /// <c>?</c>, a class, or two stars apart (those go to the runtime matcher).
    /// </summary>
    private static SegmentShape[]? TryInlineShapes(GlobToken[] tokens)
    {
        var sequences = new List<List<GlobToken>> { new() };
        foreach (GlobToken token in tokens)
        {
            if (token.Kind != GlobTokenKind.Alternation)
            {
                foreach (List<GlobToken> sequence in sequences)
                {
                    sequence.Add(token);
                }

                continue;
            }

            var expanded = new List<List<GlobToken>>();
            foreach (List<GlobToken> sequence in sequences)
            {
                foreach (GlobToken[] alternative in token.Alternatives)
                {
                    var copy = new List<GlobToken>(sequence);
                    copy.AddRange(alternative);
                    expanded.Add(copy);
                }
            }

            if (expanded.Count > MaxInlineAlternatives)
            {
                return null;
            }

            sequences = expanded;
        }

        var shapes = new List<SegmentShape>();
        foreach (List<GlobToken> sequence in sequences)
        {
            SegmentShape? shape = ToShape(sequence);
            if (shape is null)
            {
                return null;
            }

            if (!shapes.Contains(shape))
            {
                shapes.Add(shape);
            }
        }

        return shapes.ToArray();
    }

    private static SegmentShape? ToShape(List<GlobToken> sequence)
    {
        var prefix = new StringBuilder();
        var suffix = new StringBuilder();
        bool star = false;
        bool literalAfterStar = false;
        foreach (GlobToken token in sequence)
        {
            switch (token.Kind)
            {
                case GlobTokenKind.Literal:
                    (star ? suffix : prefix).Append(token.Text);
                    literalAfterStar |= star;
                    break;
                case GlobTokenKind.Star:
                    if (literalAfterStar)
                    {
                        return null; // a second star after a literal: 'a*b*c' needs a search, not a span comparison
                    }

                    star = true; // adjacent stars are one star
                    break;
                default:
                    return null;
            }
        }

        return new SegmentShape(prefix.ToString(), star, suffix.ToString());
    }

    private static TrieNode BuildTrie(List<RulePlan> rules)
    {
        var root = new TrieNode("", Array.Empty<byte>());
        foreach (RulePlan rule in rules)
        {
            TrieNode node = root;
            foreach (string segment in rule.LiteralPrefix)
            {
                TrieNode? child = null;
                foreach (TrieNode candidate in node.Children)
                {
                    if (candidate.Segment == segment)
                    {
                        child = candidate;
                        break;
                    }
                }

                if (child is null)
                {
                    child = new TrieNode(segment, Encoding.UTF8.GetBytes(segment));
                    node.Children.Add(child);
                }

                node = child;
            }

            node.Rules.Add(rule);
        }

        SortChildren(root);
        return root;
    }

    /// <summary>Fills in each node's path, method name, whether it inherits rules, its capacity, and the collected rules.</summary>
    private static void Annotate(TriggerPlan trigger, TrieNode node, TrieNode? parent)
    {
        if (parent is not null)
        {
            node.Path = parent.IsRoot ? node.Segment : parent.Path + "/" + node.Segment;
            node.PathLength = parent.IsRoot ? node.Bytes.Length : parent.PathLength + 1 + node.Bytes.Length;
            node.Inherits = parent.Inherits || parent.Rules.Count > 0;
            node.MethodName = trigger.UniqueMethodName(Identifier(parent.MethodName, node.Segment));
        }
        else
        {
            node.IsRoot = true;
            node.MethodName = trigger.UniqueMethodName(trigger.Trigger.ToString());
        }

        if (node.Collects)
        {
            // Rule numbers go in trigger order, so the switch lists them in dispatch order.
            foreach (RulePlan rule in node.Rules)
            {
                int at = trigger.CollectedRules.Count;
                while (at > 0 && trigger.CollectedRules[at - 1].TriggerIndex > rule.TriggerIndex)
                {
                    at--;
                }

                trigger.CollectedRules.Insert(at, rule);
            }
        }

        int below = 0;
        foreach (TrieNode child in node.Children)
        {
            Annotate(trigger, child, node);
            below = Math.Max(below, child.Capacity);
        }

        // A key walks into one child at most, and at each node matches at most that node's rules.
        node.Capacity = node.Rules.Count + below;
    }

    /// <summary><c>BeforeWrite_t1_users</c>: letters, digits and '_' of the segment kept, anything else as '_'.</summary>
    private static string Identifier(string parent, string segment)
    {
        var name = new StringBuilder(parent).Append('_');
        foreach (char c in segment)
        {
            name.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' ? c : '_');
        }

        return name.ToString();
    }

    private static void SortChildren(TrieNode node)
    {
        node.Children.Sort(static (a, b) => CompareBytes(a.Bytes, b.Bytes));
        foreach (TrieNode child in node.Children)
        {
            SortChildren(child);
        }
    }

    internal static int CompareBytes(byte[] a, byte[] b)
    {
        int length = Math.Min(a.Length, b.Length);
        for (int i = 0; i < length; i++)
        {
            if (a[i] != b[i])
            {
                return a[i].CompareTo(b[i]);
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    private static int IndexOf(List<string> list, string value)
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
