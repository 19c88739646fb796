using System;
using System.Collections.Generic;
using SochDb.Policy.Generators.Model;
using SochDb.Policy.Matching.Planning;

namespace SochDb.Policy.Generators;

/// <summary>
/// The dispatch of one trigger: one small method per trie node, so that every method stays within what the JIT
/// fully optimizes and a decision touches only the nodes along the key's path.
/// </summary>
/// <remarks>
/// A node whose rules cannot interleave with rules elsewhere on a key's path (no rule above it, none below it) runs its
/// matching rules as it finds them. Otherwise the nodes along the path collect the numbers of their matching rules into
/// a small stack list, which is sorted and run through the trigger's rule switch, so handlers always run in dispatch
/// order. Big nodes are split: at most <see cref="MaxRulesPerMethod"/> rule tests, <see cref="MaxLiteralsPerMethod"/>
/// literal children and <see cref="MaxCasesPerMethod"/> rule cases in one method.
/// </remarks>
internal static partial class PolicyEmitter
{
    private const int MaxRulesPerMethod = 32;
    private const int MaxLiteralsPerMethod = 64;
    private const int MaxCasesPerMethod = 64;

    private const string Matched = "global::System.Span<int> matched";

    private static void WriteTrigger(IndentedWriter w, DispatchPlan plan, TriggerPlan trigger, EmittedHelpers helpers)
    {
        var writer = new TriggerWriter(w, plan, trigger, helpers);
        writer.WriteNode(trigger.Root);
        if (trigger.CollectedRules.Count > 0)
        {
            writer.WriteRun();
        }
    }

    /// <summary>Writes the methods of one trigger; helper methods a node needs are written right after it.</summary>
    private sealed class TriggerWriter
    {
        private readonly IndentedWriter _w;
        private readonly DispatchPlan _plan;
        private readonly TriggerPlan _trigger;
        private readonly EmittedHelpers _helpers;
        private readonly List<Action> _pending = new();

        public TriggerWriter(IndentedWriter w, DispatchPlan plan, TriggerPlan trigger, EmittedHelpers helpers)
        {
            _w = w;
            _plan = plan;
            _trigger = trigger;
            _helpers = helpers;
        }

        private string T => _trigger.Trigger.ToString();

        public void WriteNode(TrieNode node)
        {
            if (!node.Inherits)
            {
                _w.Line();
                WriteWalkMethod(node);
            }

            if (node.Collects)
            {
                _w.Line();
                WriteCollectMethod(node);
            }

            WritePending();
            foreach (TrieNode child in node.Children)
            {
                WriteNode(child);
            }
        }

        private void WritePending()
        {
            // Helpers may queue helpers of their own: write until none is left.
            while (_pending.Count > 0)
            {
                Action next = _pending[0];
                _pending.RemoveAt(0);
                _w.Line();
                next();
            }
        }

        private static string Under(TrieNode node) => node.IsRoot ? "every key" : "keys under <c>" + Xml(node.Path) + "</c>";

        private string WalkName(TrieNode node) => node.IsRoot ? "Evaluate" + T : node.MethodName;

        private static string CollectName(TrieNode node) => "Collect" + node.MethodName;

        /// <summary>The method a key enters a node by, when no rule above the node matched it.</summary>
        private void WriteWalkMethod(TrieNode node)
        {
            string summary = node.Collects
                ? "rules here and below can interleave in dispatch order, so the matches are collected, then run in order."
                : node.Rules.Count == 0
                    ? (node.IsRoot ? "walks the key's literal segments down to the node whose rules can match." : "no rule ends here; goes on with the next segment.")
                    : "no rule above or below this node can match the same key, so the matching rules run here, in dispatch order.";
            _w.Line("/// <summary>" + T + ", " + Under(node) + ": " + summary + "</summary>")
             .Line(node.IsRoot
                 ? "private static void " + WalkName(node) + "(" + Evaluation + ")"
                 : "private static void " + WalkName(node) + "(" + Evaluation + ", " + Span + " key)")
             .Open();
            if (node.IsRoot)
            {
                _w.Line(Span + " key = e.Key;");
            }

            if (node.Collects)
            {
                _w.Line(Matched + " = stackalloc int[" + Int(node.Capacity) + "]; // the most rules one key can match from here down")
                 .Line("int count = " + CollectName(node) + "(key, matched, 0);")
                 .Line("Run" + T + "(ref e, matched.Slice(0, count));");
            }
            else
            {
                WriteBody(node, new Mode(collect: false, stop: "return;", done: null));
            }

            _w.Close();
        }

        /// <summary>The method that adds the matches of a node (and, through its children, of the nodes below) to the list.</summary>
        private void WriteCollectMethod(TrieNode node)
        {
            _w.Line("/// <summary>" + T + ", " + Under(node) + ": adds the matching rules here and on the key's way down to <paramref name=\"matched\"/>.</summary>")
             .Line("private static int " + CollectName(node) + "(" + Span + " key, " + Matched + ", int count)")
             .Open();
            WriteBody(node, new Mode(collect: true, stop: null, done: "return count;"));
            _w.Close();
        }

        /// <summary>How a method treats a matching rule, and how it ends.</summary>
        private sealed class Mode
        {
            public Mode(bool collect, string? stop, string? done)
            {
                Collect = collect;
                Stop = stop;
                Done = done;
            }

            /// <summary>Add the rule's number to the list (true), or run it at once (false).</summary>
            public bool Collect { get; }

            /// <summary>What runs when a handler stops the evaluation (running mode only).</summary>
            public string? Stop { get; }

            /// <summary>The method's last statement, when it needs one.</summary>
            public string? Done { get; }

            /// <summary>The statement that leaves the method early with nothing (more) found.</summary>
            public string Leave => Done ?? "return;";
        }

        private void WriteBody(TrieNode node, Mode mode)
        {
            List<RulePlan> rules = node.Rules;
            if (rules.Count > MaxRulesPerMethod)
            {
                WriteRuleParts(node, mode);
                rules = new List<RulePlan>();
            }

            WriteRulesAndDescent(node, rules, node.Children, mode, node.Anchors);
            if (mode.Done is not null)
            {
                _w.Line(mode.Done);
            }
        }

        /// <summary>A node with many rules tests them in parts, each part a method of consecutive rules in dispatch order.</summary>
        private void WriteRuleParts(TrieNode node, Mode mode)
        {
            for (int first = 0; first < node.Rules.Count; first += MaxRulesPerMethod)
            {
                List<RulePlan> part = node.Rules.GetRange(first, Math.Min(MaxRulesPerMethod, node.Rules.Count - first));
                string name = _trigger.UniqueMethodName(node.MethodName + "_Rules" + Int(first) + "To" + Int(first + part.Count - 1));
                string range = "rules " + Int(part[0].Index) + " to " + Int(part[part.Count - 1].Index);
                if (mode.Collect)
                {
                    _w.Line("count = " + name + "(key, matched, count);").Gap();
                    _pending.Add(() =>
                    {
                        _w.Line("/// <summary>" + T + ", " + Under(node) + ": adds the matching " + range + " to <paramref name=\"matched\"/>.</summary>")
                         .Line("private static int " + name + "(" + Span + " key, " + Matched + ", int count)")
                         .Open();
                        WriteRulesAndDescent(node, part, new List<TrieNode>(), mode, new List<AnchorGroup<RulePlan>>());
                        _w.Line("return count;").Close();
                    });
                }
                else
                {
                    _w.Line("if (!" + name + "(ref e, key))").Open().Line(mode.Stop!).Close().Gap();
                    _pending.Add(() =>
                    {
                        _w.Line("/// <summary>" + T + ", " + Under(node) + ": runs the matching " + range + "; false when the evaluation must stop.</summary>")
                         .Line("private static bool " + name + "(" + Evaluation + ", " + Span + " key)")
                         .Open();
                        WriteRulesAndDescent(node, part, new List<TrieNode>(), new Mode(collect: false, stop: "return false;", done: "return true;"), new List<AnchorGroup<RulePlan>>());
                        _w.Line("return true;").Close();
                    });
                }
            }
        }

        /// <summary>
        /// Tests <paramref name="rules"/> (of <paramref name="node"/>) and goes on into the child the next segment names.
        /// A key that reached a node other than the root starts with the node's path, followed by the key's end or '/'.
        /// </summary>
        private void WriteRulesAndDescent(TrieNode node, List<RulePlan> rules, List<TrieNode> children, Mode mode, List<AnchorGroup<RulePlan>> anchors)
        {
            var endsHere = new List<RulePlan>();
            var goesOn = new List<RulePlan>();
            foreach (RulePlan rule in rules)
            {
                bool whole = rule.PatternMatcherField >= 0;
                if (whole || (rule.Remainder.Length == 0 && !rule.TrailingDoubleStar))
                {
                    endsHere.Add(rule);
                }

                if (whole || rule.Remainder.Length > 0 || rule.TrailingDoubleStar)
                {
                    goesOn.Add(rule);
                }
            }

            bool more = goesOn.Count > 0 || children.Count > 0 || anchors.Count > 0;
            string length = Int(node.PathLength);
            if (!node.IsRoot && (endsHere.Count > 0 || more))
            {
                _w.Line("if (key.Length == " + length + ")").Open();
                _w.Line("// The key is " + Literal(node.Path) + " itself" + (endsHere.Count > 0 ? "." : ": no rule here matches it."));

                foreach (RulePlan rule in endsHere)
                {
                    WriteRule(node, rule, mode);
                }

                if (more)
                {
                    _w.Line(mode.Leave);
                }

                _w.Close().Gap();
            }

            if (!more)
            {
                return;
            }

            string start = Int(node.NextStart);
            bool needsSegment = children.Count > 0;
            bool needsEnd = children.Count > 0;
            foreach (RulePlan rule in goesOn)
            {
                if (rule.PatternMatcherField < 0 && rule.Remainder.Length == 1)
                {
                    needsEnd = true;
                    needsSegment |= rule.Remainder[0].Kind != SegmentTestKind.Any;
                }
            }

            if (needsEnd)
            {
                _w.Line(node.IsRoot ? "// The key's first segment." : "// The segment after \"" + Comment(node.Path) + "/\".")
                 .Line("int end = " + _helpers.CallSegmentEnd(start) + ";");
            }

            if (needsSegment)
            {
                _w.Line(Span + " segment = key.Slice(" + start + ", " + (node.IsRoot ? "end" : "end - " + start) + ");");
            }

            foreach (RulePlan rule in goesOn)
            {
                WriteRule(node, rule, mode);
            }

            foreach (List<AnchorGroup<RulePlan>> place in Places(anchors))
            {
                WritePlaceCall(node, place);
            }

            if (children.Count > 0)
            {
                WriteDescent(node, children, mode);
                _w.Gap();
            }
        }

        private static string Count(int count, string noun) => Int(count) + " " + noun + (count == 1 ? "" : "s");

        private static string AnchorName(AnchorKind kind)
        {
            string segment = kind.FromEnd
                ? (kind.Segment == 0 ? "LastSegment" : "Segment" + Int(kind.Segment) + "FromEnd")
                : "Segment" + Int(kind.Segment);
            return kind.Part switch
            {
                AnchorPart.Prefix => segment + "Prefix" + Int(kind.Length),
                AnchorPart.Suffix => segment + "Suffix" + Int(kind.Length),
                _ => segment,
            };
        }

        /// <summary>A node's anchor groups (in kind order) by the segment they look at: each place is located once.</summary>
        private static List<List<AnchorGroup<RulePlan>>> Places(List<AnchorGroup<RulePlan>> anchors)
        {
            var places = new List<List<AnchorGroup<RulePlan>>>();
            foreach (AnchorGroup<RulePlan> group in anchors)
            {
                List<AnchorGroup<RulePlan>>? last = places.Count == 0 ? null : places[places.Count - 1];
                if (last is null || last[0].Kind.FromEnd != group.Kind.FromEnd || last[0].Kind.Segment != group.Kind.Segment)
                {
                    last = new List<AnchorGroup<RulePlan>>();
                    places.Add(last);
                }

                last.Add(group);
            }

            return places;
        }

        /// <summary>
        /// Calls the method of one anchor place: with one kind of anchor there, the method that locates the segment and
        /// switches on it; with several, a method that locates the segment once and hands it to one method per kind.
        /// </summary>
        private void WritePlaceCall(TrieNode node, List<AnchorGroup<RulePlan>> place)
        {
            AnchorKind first = place[0].Kind;
            string after = node.IsRoot ? "" : " after \"" + Comment(node.Path) + "/\"";
            if (place.Count == 1)
            {
                string name = _trigger.UniqueMethodName("Collect" + node.MethodName + "_By" + AnchorName(first));
                _w.Line("// " + Count(CountRules(place), "rule") + " found through " + first.Describe() + after + ".")
                 .Line("count = " + name + "(key, matched, count);")
                 .Gap();
                _pending.Add(() => WriteAnchorMethod(node, place[0], name, locate: true));
                return;
            }

            var parts = new List<string>();
            foreach (AnchorGroup<RulePlan> group in place)
            {
                parts.Add(PartName(group.Kind));
            }

            string placeName = _trigger.UniqueMethodName("Collect" + node.MethodName + "_At" + SegmentName(first));
            _w.Line("// " + Count(CountRules(place), "rule") + " found through " + SegmentDescription(first) + after + " (" + string.Join(", ", parts) + ").")
             .Line("count = " + placeName + "(key, matched, count);")
             .Gap();
            _pending.Add(() => WritePlaceMethod(node, place, placeName));
        }

        /// <summary>Locates a place's segment once, then looks it up in each kind of anchor filed there.</summary>
        private void WritePlaceMethod(TrieNode node, List<AnchorGroup<RulePlan>> place, string name)
        {
            AnchorKind first = place[0].Kind;
            string where = SegmentDescription(first) + (node.IsRoot ? "" : " after <c>" + Xml(node.Path) + "/</c>");
            _w.Line("/// <summary>" + T + ", " + Under(node) + ": the rules found through " + Xml(where) + ", located once for the "
                    + Int(place.Count) + " kinds of anchor filed there; adds those that match to <paramref name=\"matched\"/>.</summary>")
             .Line("private static int " + name + "(" + Span + " key, " + Matched + ", int count)")
             .Open();
            WriteLocate(node, first);
            foreach (AnchorGroup<RulePlan> group in place)
            {
                string kindName = _trigger.UniqueMethodName("Collect" + node.MethodName + "_By" + AnchorName(group.Kind));
                _w.Line("// " + Count(CountRules(new List<AnchorGroup<RulePlan>> { group }), "rule") + " found through " + PartName(group.Kind) + ".")
                 .Line("count = " + kindName + "(key, segment, matched, count);")
                 .Gap();
                _pending.Add(() => WriteAnchorMethod(node, group, kindName, locate: false));
            }

            _w.Line("return count;").Close();
        }

        /// <summary>Declares <c>segment</c>: the segment an anchor place names (returns when the key has fewer segments).</summary>
        private void WriteLocate(TrieNode node, AnchorKind kind)
        {
            string start = Int(node.NextStart);
            if (kind.FromEnd)
            {
                _w.Line("int start = SegmentFromEnd(key, " + start + ", " + Int(kind.Segment) + ", out int end);")
                 .Line("if (start < 0)").Open().Line("return count; // fewer segments").Close()
                 .Line();
            }
            else if (kind.Segment > 0)
            {
                _w.Line("int start = SegmentAt(key, " + start + ", " + Int(kind.Segment) + ");")
                 .Line("if (start < 0)").Open().Line("return count; // fewer segments").Close()
                 .Line()
                 .Line("int end = " + _helpers.CallSegmentEnd("start") + ";");
            }
            else
            {
                _w.Line("int start = " + start + ";")
                 .Line("int end = " + _helpers.CallSegmentEnd("start") + ";");
            }

            _w.Line(Span + " segment = key.Slice(start, end - start);");
        }

        private static int CountRules(List<AnchorGroup<RulePlan>> groups)
        {
            var rules = new HashSet<RulePlan>();
            foreach (AnchorGroup<RulePlan> group in groups)
            {
                rules.UnionWith(group.AllRules());
            }

            return rules.Count;
        }

        private static string SegmentName(AnchorKind kind) =>
            kind.FromEnd ? (kind.Segment == 0 ? "LastSegment" : "Segment" + Int(kind.Segment) + "FromEnd") : "Segment" + Int(kind.Segment);

        private static string SegmentDescription(AnchorKind kind) => new AnchorKind(kind.FromEnd, kind.Segment, AnchorPart.Whole, 0).Describe();

        private static string PartName(AnchorKind kind) => kind.Part switch
        {
            AnchorPart.Prefix => "its first " + Int(kind.Length) + " bytes",
            AnchorPart.Suffix => "its last " + Int(kind.Length) + " bytes",
            _ => "the whole segment",
        };

        /// <summary>
        /// The rules of a node filed under one anchor: switches on the part of the segment the anchor compares (the whole
        /// segment by its literals; a prefix or suffix, at most four bytes, as one number) and tests the few rules filed
        /// under that literal. <paramref name="locate"/>: the method finds the segment itself, else it is handed in.
        /// </summary>
        private void WriteAnchorMethod(TrieNode node, AnchorGroup<RulePlan> group, string name, bool locate)
        {
            AnchorKind kind = group.Kind;
            string where = (group.Offset == 0
                    ? kind.Describe()
                    : "the " + Int(kind.Length) + " bytes " + (kind.Part == AnchorPart.Prefix ? "after the first " : "before the last ") + Int(group.Offset)
                      + " of " + SegmentDescription(kind))
                + (node.IsRoot ? "" : " after <c>" + Xml(node.Path) + "/</c>");
            _w.Line("/// <summary>" + T + ", " + Under(node) + ": the rules a key can only match when " + Xml(where) + " is a given literal ("
                    + Count(group.Cases.Count, "literal") + "); adds those that match to <paramref name=\"matched\"/>.</summary>")
             .Line(locate
                 ? "private static int " + name + "(" + Span + " key, " + Matched + ", int count)"
                 : "private static int " + name + "(" + Span + " key, " + Span + " segment, " + Matched + ", int count)")
             .Open();
            if (locate)
            {
                WriteLocate(node, kind);
            }

            if (kind.Part == AnchorPart.Whole)
            {
                var collect = new Mode(collect: true, stop: null, done: "return count;");
                WriteCases(node, name, group.Cases, c => WriteAnchorCase(node, c, name), collect);
                _w.Gap().Line("return count;").Close();
                return;
            }

            string length = Int(kind.Length);
            int offset = group.Offset;
            string needed = Int(offset + kind.Length);
            string what = offset == 0
                ? (kind.Part == AnchorPart.Prefix ? "Its first " : "Its last ") + length + " bytes"
                : (kind.Part == AnchorPart.Prefix
                    ? "The " + length + " bytes after its first " + Int(offset)
                    : "The " + length + " bytes before its last " + Int(offset));
            _w.Line("if (segment.Length < " + needed + ")").Open().Line("return count;").Close()
             .Line()
             .Line("// " + what + " as one number (byte 0 lowest).")
             .Line("uint part = PartNumber(" + (kind.Part == AnchorPart.Prefix
                 ? "segment.Slice(" + Int(offset) + ", " + length + "));"
                 : "segment.Slice(segment.Length - " + needed + ", " + length + "));"));
            var cases = new List<AnchorCase<RulePlan>>(group.Cases);
            cases.Sort((a, b) => AnchorText.Number(a.Bytes).CompareTo(AnchorText.Number(b.Bytes)));
            WriteNumberCases(node, name, cases);
            _w.Close();
        }

        /// <summary>
        /// A switch on <c>part</c> over <paramref name="cases"/> (sorted by number), ending in <c>return count;</c>; more
        /// than <see cref="MaxCasesPerMethod"/> are split in two halves by number, each a method of its own.
        /// </summary>
        private void WriteNumberCases(TrieNode node, string stem, List<AnchorCase<RulePlan>> cases)
        {
            if (cases.Count > MaxCasesPerMethod)
            {
                int half = cases.Count / 2;
                List<AnchorCase<RulePlan>> lower = cases.GetRange(0, half);
                List<AnchorCase<RulePlan>> upper = cases.GetRange(half, cases.Count - half);
                string pivot = Hex(AnchorText.Number(upper[0].Bytes));
                string below = _trigger.UniqueMethodName(stem + "_Below" + pivot.Substring(2));
                string from = _trigger.UniqueMethodName(stem + "_From" + pivot.Substring(2));
                _w.Line("return part < " + pivot + " ? " + below + "(key, segment, part, matched, count) : " + from + "(key, segment, part, matched, count);");
                WriteNumberPart(node, below, lower, "below " + pivot);
                WriteNumberPart(node, from, upper, "from " + pivot + " on");
                return;
            }

            _w.Line("switch (part)").Open();
            foreach (AnchorCase<RulePlan> c in cases)
            {
                _w.Line("case " + Hex(AnchorText.Number(c.Bytes)) + ": // \"" + (AnchorText.TryDecode(c.Bytes, out string text) ? Comment(text) : c.Literal) + "\"");
                _w.Indent();
                WriteAnchorCase(node, c, stem);
                _w.Line("break;");
                _w.Outdent();
            }

            _w.Close()
             .Line()
             .Line("return count;");
        }

        private void WriteNumberPart(TrieNode node, string name, List<AnchorCase<RulePlan>> cases, string range)
        {
            _pending.Add(() =>
            {
                _w.Line("/// <summary>" + T + ", " + Under(node) + ": the anchor literals numbered " + Xml(range) + " (" + Count(cases.Count, "literal") + ").</summary>")
                 .Line("private static int " + name + "(" + Span + " key, " + Span + " segment, uint part, " + Matched + ", int count)")
                 .Open();
                WriteNumberCases(node, name, cases);
                _w.Close();
            });
        }

        private static string Hex(uint value) => "0x" + value.ToString("X8", System.Globalization.CultureInfo.InvariantCulture);

        private void WriteAnchorCase(TrieNode node, AnchorCase<RulePlan> found, string stem)
        {
            foreach (RulePlan rule in found.Rules)
            {
                string test = rule.PatternMatcherField >= 0
                    ? "s_pattern" + Int(rule.PatternMatcherField) + ".IsMatch(key)"
                    : MatchMethodName(rule) + "(key, " + Int(node.NextStart) + ")";
                _w.Line("// " + Describe(_plan.Spec, rule.Rule))
                 .Line("if (" + test + ")").Open()
                 .Line("matched[count++] = " + Int(rule.TriggerIndex) + ";")
                 .Close();
            }

            foreach (AnchorGroup<RulePlan> below in found.Next)
            {
                // A crowded case: the rules whose literals go on are told apart by their next bytes.
                AnchorKind kind = below.Kind;
                string name = _trigger.UniqueMethodName(stem + "_" + Hex(AnchorText.Number(found.Bytes)).Substring(2) + (kind.Part == AnchorPart.Prefix ? "_Then" : "_Before") + Int(kind.Length));
                _w.Line("count = " + name + "(key, segment, matched, count); // " + Count(CountRules(new List<AnchorGroup<RulePlan>> { below }), "rule") + " by "
                        + (kind.Part == AnchorPart.Prefix ? "the " + Int(kind.Length) + " bytes after these" : "the " + Int(kind.Length) + " bytes before these"));
                _pending.Add(() => WriteAnchorMethod(node, below, name, locate: false));
            }
        }

        /// <summary>Writes one rule's test and what a match does, under a comment quoting the rule.</summary>
        private void WriteRule(TrieNode node, RulePlan rule, Mode mode)
        {
            string? condition;
            string note = "";
            if (rule.PatternMatcherField >= 0)
            {
                condition = "s_pattern" + Int(rule.PatternMatcherField) + ".IsMatch(key)";
                note = " (a '**' inside the pattern: the runtime matcher walks the whole key)";
            }
            else if (rule.Remainder.Length == 0)
            {
                condition = null; // the key ends here, or (a trailing '**') a segment follows
            }
            else if (rule.Remainder.Length == 1)
            {
                string ends = rule.TrailingDoubleStar ? "end < key.Length" : "end == key.Length";
                string test = TestExpression(_plan, _helpers, rule.Remainder[0], "segment");
                condition = ends + (test == "true" ? "" : " && " + Parenthesized(test));
            }
            else
            {
                condition = MatchMethodName(rule) + "(key, " + Int(node.NextStart) + ")";
            }

            _w.Line("// " + Describe(_plan.Spec, rule.Rule) + note);
            if (condition is not null)
            {
                _w.Line("if (" + condition + ")").Open();
            }

            if (mode.Collect)
            {
                _w.Line("matched[count++] = " + Int(rule.TriggerIndex) + ";");
            }
            else
            {
                WriteRunInline(rule, mode.Stop!);
            }

            if (condition is not null)
            {
                _w.Close();
            }

            _w.Gap();
        }

        private void WriteRunInline(RulePlan rule, string stop)
        {
            RuleSpec r = rule.Rule;
            _w.Line("e.Enter(s_rules[" + Int(rule.Index) + "]);");
            if (r.Kind == RuleKind.RequireAgentId)
            {
                _w.Line("if (string.IsNullOrEmpty(e.Context.AgentId))")
                 .Open()
                 .Line("e.Apply(" + Policy + "PolicyDecision.Deny(" + Literal(RequireAgentIdReason(r)) + "));")
                 .Line(stop)
                 .Close();
            }
            else if (r.Kind == RuleKind.Handler && r.Return == HandlerReturn.Void)
            {
                _w.Line(HandlerCall(_plan, r) + ";");
            }
            else
            {
                // Also for [DenyAll], whose Apply always stops: an unconditional return would leave the rules after it
                // unreachable (CS0162) when the rule needs no test.
                _w.Line("if (!e.Apply(" + DecisionExpression(_plan, rule) + "))").Open().Line(stop).Close();
            }
        }

        /// <summary>Goes on into the child whose literal the next segment is.</summary>
        private void WriteDescent(TrieNode node, List<TrieNode> children, Mode mode)
        {
            WriteCases(node, node.MethodName + "_Next", children, child =>
            {
                if (mode.Collect)
                {
                    _w.Line("return " + CollectName(child) + "(key, matched, count);");
                }
                else
                {
                    _w.Line(WalkName(child) + "(ref e, key);").Line("return;");
                }
            }, mode);
        }

        /// <summary>
        /// A switch on <c>segment</c> over <paramref name="cases"/> (methods of at most <see cref="MaxLiteralsPerMethod"/>
        /// literals: more are split by length, or by the byte that tells them apart, into methods of their own, each
        /// split again while it is too big).
        /// </summary>
        private void WriteCases<TCase>(TrieNode node, string stem, List<TCase> cases, Action<TCase> body, Mode mode)
            where TCase : ILiteralCase
        {
            if (cases.Count <= MaxLiteralsPerMethod)
            {
                WriteLiteralSwitch(_w, _helpers, "segment", cases, body);
                return;
            }

            SortedDictionary<int, List<TCase>> groups = SplitLiterals(cases, out int position);
            _w.Line(position < 0 ? "switch (segment.Length)" : "switch (segment[" + Int(position) + "])").Open();
            foreach (KeyValuePair<int, List<TCase>> group in groups)
            {
                string name = _trigger.UniqueMethodName(stem + (position < 0 ? "Length" : "Byte") + Int(group.Key));
                string what = position < 0
                    ? "of " + Int(group.Key) + " bytes"
                    : "whose byte " + Int(position) + " is " + ByteLiteral((byte)group.Key).Replace("(byte)", "");
                _w.Line("case " + (position < 0 ? Int(group.Key) : ByteLiteral((byte)group.Key)) + ":");
                _w.Indent();
                if (mode.Collect)
                {
                    _w.Line("return " + name + "(key, segment, matched, count);");
                }
                else
                {
                    _w.Line(name + "(ref e, key, segment);").Line("return;");
                }

                _w.Outdent();
                List<TCase> members = group.Value;
                _pending.Add(() =>
                {
                    _w.Line("/// <summary>" + T + ", " + Under(node) + ": the segment, " + Xml(what) + ", is one of " + Int(members.Count) + " literals.</summary>")
                     .Line(mode.Collect
                         ? "private static int " + name + "(" + Span + " key, " + Span + " segment, " + Matched + ", int count)"
                         : "private static void " + name + "(" + Evaluation + ", " + Span + " key, " + Span + " segment)")
                     .Open();
                    WriteCases(node, name + "_", members, body, mode);
                    if (mode.Done is not null)
                    {
                        _w.Line(mode.Done);
                    }

                    _w.Close();
                });
            }

            _w.Close();
        }

        /// <summary>Runs the collected rules: sorts the few numbers found, then calls the rule switch for each.</summary>
        public void WriteRun()
        {
            _w.Line()
             .Line("/// <summary>" + T + ": runs the collected rules in dispatch order; stops at the first denial.</summary>")
             .Line("private static void Run" + T + "(" + Evaluation + ", scoped " + Matched + ")")
             .Open()
             .Line("// Each node adds its own matches in order, but the nodes of one path interleave: sort the few found.")
             .Line("for (int i = 1; i < matched.Length; i++)")
             .Open()
             .Line("int rule = matched[i];")
             .Line("int at = i;")
             .Line("for (; at > 0 && matched[at - 1] > rule; at--)")
             .Open()
             .Line("matched[at] = matched[at - 1];")
             .Close()
             .Line()
             .Line("matched[at] = rule;")
             .Close()
             .Line()
             .Line("for (int i = 0; i < matched.Length; i++)")
             .Open()
             .Line("if (i > 0 && matched[i] == matched[i - 1])")
             .Open().Line("continue; // found through two literals of one rule: it runs once").Close()
             .Line()
             .Line("if (!Run" + T + "Rule(ref e, matched[i]))")
             .Open().Line("return;").Close()
             .Close()
             .Close();

            var chunks = new SortedDictionary<int, List<RulePlan>>();
            foreach (RulePlan rule in _trigger.CollectedRules)
            {
                int chunk = _trigger.CollectedRules.Count <= MaxCasesPerMethod ? 0 : rule.TriggerIndex / MaxCasesPerMethod;
                if (!chunks.TryGetValue(chunk, out List<RulePlan>? list))
                {
                    list = new List<RulePlan>();
                    chunks.Add(chunk, list);
                }

                list.Add(rule);
            }

            string summary = "/// <summary>" + T + ": runs one collected rule; false when the evaluation must stop.</summary>";
            _w.Line().Line(summary)
             .Line("private static bool Run" + T + "Rule(" + Evaluation + ", int rule)")
             .Open();
            if (chunks.Count == 1 && _trigger.CollectedRules.Count <= MaxCasesPerMethod)
            {
                WriteRuleSwitch(_trigger.CollectedRules);
                _w.Close();
                return;
            }

            _w.Line("switch (rule / " + Int(MaxCasesPerMethod) + ")").Open();
            foreach (KeyValuePair<int, List<RulePlan>> chunk in chunks)
            {
                _w.Line("case " + Int(chunk.Key) + ":");
                _w.Indent();
                _w.Line("return Run" + T + "Rules" + Int(chunk.Key) + "(ref e, rule);");
                _w.Outdent();
            }

            _w.Line("default:");
            _w.Indent();
            _w.Line("return true;");
            _w.Outdent();
            _w.Close().Close();
            foreach (KeyValuePair<int, List<RulePlan>> chunk in chunks)
            {
                int first = chunk.Key * MaxCasesPerMethod;
                _w.Line()
                 .Line("/// <summary>" + T + ": runs collected rule " + Int(first) + " to " + Int(first + MaxCasesPerMethod - 1) + " of the trigger; false when the evaluation must stop.</summary>")
                 .Line("private static bool Run" + T + "Rules" + Int(chunk.Key) + "(" + Evaluation + ", int rule)")
                 .Open();
                WriteRuleSwitch(chunk.Value);
                _w.Close();
            }
        }

        private void WriteRuleSwitch(List<RulePlan> rules)
        {
            _w.Line("switch (rule)").Open();
            foreach (RulePlan rule in rules)
            {
                _w.Line("case " + Int(rule.TriggerIndex) + ":");
                _w.Indent();
                _w.Line("// " + Describe(_plan.Spec, rule.Rule))
                 .Line("e.Enter(s_rules[" + Int(rule.Index) + "]);");
                WriteRuleBody(_w, _plan, rule);
                _w.Outdent();
            }

            _w.Line("default:");
            _w.Indent();
            _w.Line("return true;");
            _w.Outdent();
            _w.Close();
        }
    }

    /// <summary>
    /// Splits too many literals for one method: by length when they differ in length, else by the byte position where
    /// they differ most (distinct literals of one length always differ somewhere, so every split makes progress).
    /// </summary>
    private static SortedDictionary<int, List<T>> SplitLiterals<T>(List<T> literals, out int position)
        where T : ILiteralCase
    {
        var groups = new SortedDictionary<int, List<T>>();
        foreach (T literal in literals)
        {
            Add(groups, literal.Bytes.Length, literal);
        }

        position = -1;
        if (groups.Count > 1)
        {
            return groups;
        }

        position = BestBytePosition(literals);
        groups.Clear();
        foreach (T literal in literals)
        {
            Add(groups, literal.Bytes[position], literal);
        }

        return groups;

        static void Add(SortedDictionary<int, List<T>> groups, int key, T literal)
        {
            if (!groups.TryGetValue(key, out List<T>? list))
            {
                list = new List<T>();
                groups.Add(key, list);
            }

            list.Add(literal);
        }
    }
}
