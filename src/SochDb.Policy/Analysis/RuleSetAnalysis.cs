using System;
using System.Collections.Generic;
using System.Text;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Analysis;

/// <summary>What a rule does, as far as the set analysis needs to know.</summary>
internal enum RuleEffect
{
    /// <summary>Decides by a condition the analysis does not read (it may allow, deny or modify).</summary>
    Decides,
    /// <summary>Refuses every operation it matches: a handler that always returns Deny, <c>DenyAll</c>, a configured Deny.</summary>
    AlwaysDenies,
    /// <summary>Holds the operation for approval.</summary>
    RequiresApproval,
    /// <summary>Replaces the value (a redaction).</summary>
    Modifies,
    /// <summary>Observes a committed change (AfterWrite, AfterDelete).</summary>
    Observes,
}

/// <summary>One rule as the set analysis sees it. Triggers are the values of <c>PolicyTrigger</c>.</summary>
internal sealed class AnalysedRule
{
    /// <param name="trigger">The trigger, as the value of <c>PolicyTrigger</c>.</param>
    /// <param name="pattern">The glob pattern (an invalid one makes the rule invisible to the analysis).</param>
    /// <param name="effect">What the rule does.</param>
    /// <param name="identity">What makes two rules "the same handler or action" (null: never a duplicate of another).</param>
    /// <param name="enforced">False for a rule in shadow mode: its denials refuse nothing.</param>
    /// <param name="display">How messages name the rule.</param>
    public AnalysedRule(int trigger, string pattern, RuleEffect effect, string? identity, bool enforced, string display)
    {
        Trigger = trigger;
        Pattern = pattern;
        Effect = effect;
        Identity = identity;
        Enforced = enforced;
        Display = display;
        if (GlobParser.TryParse(pattern, out GlobPattern? parsed, out _))
        {
            Parsed = parsed;
            Prefix = LiteralPrefix(parsed!);
        }
    }

    public int Trigger { get; }

    public string Pattern { get; }

    public RuleEffect Effect { get; }

    public string? Identity { get; }

    public bool Enforced { get; }

    public string Display { get; }

    internal GlobPattern? Parsed { get; }

    /// <summary>Text every key the pattern matches starts with (comparisons skip pairs whose prefixes disagree).</summary>
    internal string Prefix { get; } = "";

    internal bool RefusesEverything => Effect == RuleEffect.AlwaysDenies && Enforced && Parsed is not null;

    private static string LiteralPrefix(GlobPattern pattern)
    {
        var prefix = new StringBuilder();
        GlobSegment[] segments = pattern.Segments;
        for (int i = 0; i < segments.Length; i++)
        {
            GlobSegment segment = segments[i];
            if (segment.Kind == GlobSegmentKind.Literal)
            {
                prefix.Append(segment.Literal);
                if (i + 1 < segments.Length)
                {
                    prefix.Append('/');
                }

                continue;
            }

            if (segment.Kind == GlobSegmentKind.Wildcard && segment.Tokens.Length > 0 && segment.Tokens[0].Kind == GlobTokenKind.Literal)
            {
                prefix.Append(segment.Tokens[0].Text);
            }

            break;
        }

        return prefix.ToString();
    }
}

/// <summary>A finding: its ID, the rule it is about, the other rules involved, and its message arguments.</summary>
internal sealed class RuleFinding
{
    public RuleFinding(string id, int rule, int[] others, string message, string[] arguments)
    {
        Id = id;
        Rule = rule;
        Others = others;
        Message = message;
        Arguments = arguments;
    }

    /// <summary><c>SOCH0014</c> ... <c>SOCH0017</c>.</summary>
    public string Id { get; }

    /// <summary>The index of the rule the finding is about.</summary>
    public int Rule { get; }

    /// <summary>The indexes of the other rules involved (the denials that shadow it, the rule it repeats).</summary>
    public int[] Others { get; }

    /// <summary>The message, formatted.</summary>
    public string Message { get; }

    /// <summary>The arguments of the message format (for an analyzer diagnostic).</summary>
    public string[] Arguments { get; }

    /// <summary>For SOCH0016: the pattern of the parent key, escaped (what a rule covering it would say).</summary>
    public string? ParentPattern { get; set; }
}

/// <summary>
/// Finds what is wrong with a set of rules as a whole (docs/diagnostics SOCH0014–SOCH0017), deciding every question
/// exactly with the glob algebra. Rules are given in the order the engine runs them. Linked into the analyzers, which
/// run it on one policy class at a time; the engine runs it on everything it holds.
/// </summary>
internal static class RuleSetAnalysis
{
    public const string UnreachableId = "SOCH0014";
    public const string DuplicateId = "SOCH0015";
    public const string OpenParentId = "SOCH0016";
    public const string NeverReachedId = "SOCH0017";

    public const string UnreachableFormat = "{0} never runs: every key it matches is refused first by {1}";
    public const string DuplicateFormat = "{0} repeats {1}: same trigger, same {2}, and patterns that match exactly the same keys";
    public const string OpenParentFormat = "{0} refuses keys under \"{1}/\" but not the key \"{1}\" itself, which no {2} rule matches";
    public const string NeverReachedFormat = "{0} is never reached: every key it matches is refused first by {1}";

    private static readonly string[] TriggerNames = { "BeforeWrite", "AfterWrite", "BeforeRead", "AfterRead", "BeforeDelete", "AfterDelete" };
    private const int AfterRead = 3;
    private const int BeforeRead = 2;

    /// <summary>The result: findings in rule order, and the rules some question about which passed the budget.</summary>
    public sealed class Result
    {
        public Result(List<RuleFinding> findings, List<int> notAnalysed)
        {
            Findings = findings;
            NotAnalysed = notAnalysed;
        }

        public List<RuleFinding> Findings { get; }

        public List<int> NotAnalysed { get; }
    }

    /// <summary>Analyses <paramref name="rules"/> (in engine order).</summary>
    /// <param name="rules">The rules.</param>
    /// <param name="skipIdenticalDuplicates">Leave out duplicates whose pattern texts are identical (the analyzers report those as SOCH0008).</param>
    /// <param name="budget">Pairs of states one comparison may visit.</param>
    public static Result Analyze(IReadOnlyList<AnalysedRule> rules, bool skipIdenticalDuplicates = false, int budget = GlobAlgebra.DefaultBudget)
    {
        var session = new Session(rules, budget);
        var findings = new List<RuleFinding>();
        for (int i = 0; i < rules.Count; i++)
        {
            AnalysedRule rule = rules[i];
            if (rule.Parsed is null)
            {
                continue;
            }

            // A rule repeating an earlier one is reported as that, not also as shadowed by it.
            if (session.Duplicate(i, skipIdenticalDuplicates, out bool identical) is { } duplicate)
            {
                findings.Add(duplicate);
            }
            else if (!identical && session.Shadowed(i) is { } finding)
            {
                findings.Add(finding);
            }

            if (session.OpenParent(i) is { } openParent)
            {
                findings.Add(openParent);
            }
        }

        var notAnalysed = new List<int>(session.NotAnalysed);
        notAnalysed.Sort();
        return new Result(findings, notAnalysed);
    }

    /// <summary>Whether some key can match both (their literal prefixes agree).</summary>
    private static bool PrefixesAgree(AnalysedRule a, AnalysedRule b) =>
        a.Prefix.StartsWith(b.Prefix, StringComparison.Ordinal) || b.Prefix.StartsWith(a.Prefix, StringComparison.Ordinal);

    private static bool Decides(int trigger) => trigger != 1 && trigger != 5;

    private sealed class Session
    {
        private readonly IReadOnlyList<AnalysedRule> _rules;
        private readonly int _budget;
        private readonly GlobAutomaton?[] _automata;
        private readonly int[]?[] _samples;
        private readonly bool[] _sampled;
        private readonly List<int> _denials = new();
        private readonly Dictionary<(int, string?), List<int>> _sameHandler = new();
        private GlobAlphabet? _alphabet;

        public Session(IReadOnlyList<AnalysedRule> rules, int budget)
        {
            _rules = rules;
            _budget = budget;
            _automata = new GlobAutomaton?[rules.Count];
            _samples = new int[]?[rules.Count];
            _sampled = new bool[rules.Count];
            for (int i = 0; i < rules.Count; i++)
            {
                AnalysedRule rule = rules[i];
                if (rule.RefusesEverything)
                {
                    _denials.Add(i);
                }

                if (rule.Parsed is not null && rule.Identity is not null)
                {
                    if (!_sameHandler.TryGetValue((rule.Trigger, rule.Identity), out List<int>? group))
                    {
                        group = new List<int>();
                        _sameHandler.Add((rule.Trigger, rule.Identity), group);
                    }

                    group.Add(i);
                }
            }
        }

        public HashSet<int> NotAnalysed { get; } = new();

        /// <summary>SOCH0014 or SOCH0017: every key of rule <paramref name="index"/> is refused by unconditional denials that run first.</summary>
        public RuleFinding? Shadowed(int index)
        {
            AnalysedRule rule = _rules[index];
            if (!Decides(rule.Trigger))
            {
                return null;
            }

            bool special = rule.Effect is RuleEffect.RequiresApproval or RuleEffect.Modifies;
            var candidates = new List<int>();
            foreach (int d in _denials)
            {
                AnalysedRule deny = _rules[d];
                bool first = (deny.Trigger == rule.Trigger && d < index)
                             || (special && rule.Trigger == AfterRead && deny.Trigger == BeforeRead);
                if (first && PrefixesAgree(deny, rule))
                {
                    candidates.Add(d);
                }
            }

            if (candidates.Count == 0)
            {
                return null;
            }

            int[]? covering = null;
            var overlapping = new List<int>();
            foreach (int d in candidates)
            {
                // A key of the rule that the denial does not match: it does not cover the rule alone (no product walk).
                if (!Misses(d, index))
                {
                    GlobRelation inclusion = GlobAlgebra.Includes(Automaton(d), Automaton(index), _budget);
                    if (inclusion.IsYes)
                    {
                        covering = new[] { d };
                        break;
                    }

                    if (inclusion.Verdict == GlobVerdict.NotAnalysed)
                    {
                        NotAnalysed.Add(index);
                    }
                }

                GlobRelation overlap = GlobAlgebra.Overlaps(Automaton(d), Automaton(index), _budget);
                if (overlap.Verdict != GlobVerdict.No)
                {
                    overlapping.Add(d);
                }
            }

            if (covering is null && overlapping.Count > 1)
            {
                var patterns = new List<GlobPattern>(overlapping.Count);
                foreach (int d in overlapping)
                {
                    patterns.Add(_rules[d].Parsed!);
                }

                GlobRelation inclusion = GlobAlgebra.Includes(GlobAutomaton.Union(patterns, Alphabet()), Automaton(index), _budget);
                if (inclusion.IsYes)
                {
                    covering = overlapping.ToArray();
                }
                else if (inclusion.Verdict == GlobVerdict.NotAnalysed)
                {
                    NotAnalysed.Add(index);
                }
            }

            if (covering is null)
            {
                return null;
            }

            string denials = Names(covering);
            return special
                ? Finding(NeverReachedId, NeverReachedFormat, index, covering, rule.Display, denials)
                : Finding(UnreachableId, UnreachableFormat, index, covering, rule.Display, denials);
        }

        /// <summary>SOCH0015: an earlier rule with the same trigger and identity whose pattern matches the same keys.</summary>
        public RuleFinding? Duplicate(int index, bool skipIdentical, out bool identical)
        {
            identical = false;
            AnalysedRule rule = _rules[index];
            if (rule.Identity is null)
            {
                return null;
            }

            foreach (int other in _sameHandler[(rule.Trigger, rule.Identity)])
            {
                AnalysedRule earlier = _rules[other];
                if (other >= index)
                {
                    break;
                }

                if (!PrefixesAgree(earlier, rule))
                {
                    continue;
                }

                if (skipIdentical && earlier.Pattern == rule.Pattern)
                {
                    // Reported by the caller's own check (SOCH0008 in the analyzers).
                    identical = true;
                    return null;
                }

                if (earlier.Pattern != rule.Pattern && (Misses(other, index) || Misses(index, other)))
                {
                    continue; // a key one matches and the other does not: certainly not the same keys
                }

                GlobRelation equivalence = earlier.Pattern == rule.Pattern
                    ? new GlobRelation(GlobVerdict.Yes, null)
                    : GlobAlgebra.Equivalent(Automaton(other), Automaton(index), _budget);
                if (equivalence.Verdict == GlobVerdict.NotAnalysed)
                {
                    NotAnalysed.Add(index);
                }
                else if (equivalence.IsYes)
                {
                    string what = rule.Effect == RuleEffect.Decides || rule.Effect == RuleEffect.Observes ? "handler" : "action";
                    return Finding(DuplicateId, DuplicateFormat, index, new[] { other }, rule.Display, earlier.Display, what);
                }
            }

            return null;
        }

        /// <summary>SOCH0016: an unconditional denial of <c>x/**</c> or <c>x/*</c> while no rule of the trigger matches <c>x</c>.</summary>
        public RuleFinding? OpenParent(int index)
        {
            AnalysedRule rule = _rules[index];
            GlobSegment[] segments = rule.Parsed!.Segments;
            if (!rule.RefusesEverything || segments.Length < 2 || !IsChildWildcard(segments[segments.Length - 1]))
            {
                return null;
            }

            var parent = new StringBuilder();
            var parentSource = new StringBuilder();
            for (int s = 0; s < segments.Length - 1; s++)
            {
                if (segments[s].Kind != GlobSegmentKind.Literal)
                {
                    return null;
                }

                if (s > 0)
                {
                    parent.Append('/');
                    parentSource.Append('/');
                }

                parent.Append(segments[s].Literal);
                parentSource.Append(segments[s].Source);
            }

            string key = parent.ToString();
            for (int other = 0; other < _rules.Count; other++)
            {
                AnalysedRule candidate = _rules[other];
                if (candidate.Parsed is null || candidate.Trigger != rule.Trigger
                    || !key.StartsWith(candidate.Prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                bool? matches = Automaton(other).Matches(key);
                if (matches != false)
                {
                    if (matches is null)
                    {
                        NotAnalysed.Add(index);
                    }

                    return null;
                }
            }

            RuleFinding finding = Finding(OpenParentId, OpenParentFormat, index, new int[0], rule.Display, key, TriggerNames[rule.Trigger]);
            finding.ParentPattern = parentSource.ToString();
            return finding;
        }

        private static bool IsChildWildcard(GlobSegment segment) =>
            segment.Kind == GlobSegmentKind.DoubleStar
            || (segment.Kind == GlobSegmentKind.Wildcard && segment.Tokens.Length == 1 && segment.Tokens[0].Kind == GlobTokenKind.Star);

        private RuleFinding Finding(string id, string format, int index, int[] others, params string[] arguments) =>
            new(id, index, others, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arguments), arguments);

        private string Names(int[] indexes)
        {
            var text = new StringBuilder();
            for (int i = 0; i < indexes.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(i == indexes.Length - 1 ? " and " : ", ");
                }

                text.Append(_rules[indexes[i]].Display);
            }

            return text.ToString();
        }

        private GlobAlphabet Alphabet()
        {
            if (_alphabet is null)
            {
                var patterns = new List<GlobPattern>();
                foreach (AnalysedRule rule in _rules)
                {
                    if (rule.Parsed is not null)
                    {
                        patterns.Add(rule.Parsed);
                    }
                }

                _alphabet = GlobAlphabet.For(patterns);
            }

            return _alphabet;
        }

        private GlobAutomaton Automaton(int index) => _automata[index] ??= GlobAutomaton.Build(_rules[index].Parsed!, Alphabet());

        /// <summary>
        /// Whether rule <paramref name="a"/>'s pattern certainly does not match a key that rule <paramref name="b"/>'s
        /// matches (its shortest one): then <paramref name="a"/> neither includes <paramref name="b"/> nor is equivalent
        /// to it. A walk along one key, where the product walk visits pairs of states over the whole alphabet; false when
        /// nothing is certain (no key found within the budget, or the automaton ran out of states).
        /// </summary>
        private bool Misses(int a, int b)
        {
            int[]? sample = Sample(b);
            if (sample is null)
            {
                return false;
            }

            GlobAutomaton automaton = Automaton(a);
            int state = automaton.Start;
            foreach (int symbol in sample)
            {
                state = automaton.Next(state, symbol);
                if (state == GlobAutomaton.Exhausted)
                {
                    return false;
                }
            }

            return !automaton.Accepts(state);
        }

        /// <summary>A shortest key rule <paramref name="index"/>'s pattern matches, as symbols of the session's alphabet; null when none is found within the budget.</summary>
        private int[]? Sample(int index)
        {
            if (_sampled[index])
            {
                return _samples[index];
            }

            _sampled[index] = true;
            GlobAutomaton automaton = Automaton(index);
            var parents = new Dictionary<int, (int Parent, int Symbol)> { [automaton.Start] = (-1, -1) };
            var queue = new Queue<int>();
            queue.Enqueue(automaton.Start);
            while (queue.Count > 0 && parents.Count <= _budget)
            {
                int state = queue.Dequeue();
                if (automaton.Accepts(state))
                {
                    var symbols = new List<int>();
                    for (int at = state; parents[at].Parent >= 0; at = parents[at].Parent)
                    {
                        symbols.Add(parents[at].Symbol);
                    }

                    symbols.Reverse();
                    return _samples[index] = symbols.ToArray();
                }

                for (int symbol = 0; symbol < automaton.Alphabet.Count; symbol++)
                {
                    int next = automaton.Next(state, symbol);
                    if (next == GlobAutomaton.Exhausted)
                    {
                        return null;
                    }

                    if (!parents.ContainsKey(next))
                    {
                        parents.Add(next, (state, symbol));
                        queue.Enqueue(next);
                    }
                }
            }

            return null;
        }
    }
}
