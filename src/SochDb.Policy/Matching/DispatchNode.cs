using System;
using System.Collections.Generic;
using SochDb.Policy.Matching.Planning;

namespace SochDb.Policy.Matching;

/// <summary>A rule in one run-time table: its position in the trigger's dispatch order and its test.</summary>
internal sealed class TableRule : IPlannedRule
{
    public TableRule(int order, PatternPlan pattern, PatternTest test)
    {
        Order = order;
        Pattern = pattern;
        Test = test;
    }

    public int Order { get; }

    public PatternPlan Pattern { get; }

    public PatternTest Test { get; }
}

/// <summary>
/// A node of the run-time dispatch tree: the shared planner's <see cref="PlanNode{TRule}"/> turned into arrays and
/// literal tables. <see cref="Collect"/> does at run time what the generated <c>Collect</c> methods do: test the
/// node's own rules, look the key up at each anchor place (each segment located once for every kind looking at it),
/// and go on into the child its next segment names.
/// </summary>
internal sealed class DispatchNode
{
    private readonly int _pathLength;
    private readonly bool _isRoot;
    private readonly TableRule[] _rules;
    private readonly AnchorPlace[] _places;
    private readonly LiteralTable<DispatchNode>? _children;

    private DispatchNode(PlanNode<TableRule> plan)
    {
        _pathLength = plan.PathLength;
        _isRoot = plan.IsRoot;
        _rules = plan.Rules.ToArray();
        _places = AnchorPlace.For(plan.Anchors);

        var children = new List<KeyValuePair<byte[], DispatchNode>>(plan.Children.Count);
        foreach (PlanNode<TableRule> child in plan.Children)
        {
            children.Add(new KeyValuePair<byte[], DispatchNode>(child.Bytes, new DispatchNode(child)));
        }

        _children = LiteralTable<DispatchNode>.Create(children);
    }

    public static DispatchNode Create(PlanNode<TableRule> root) => new(root);

    /// <summary>Adds the dispatch positions of the rules matching <paramref name="key"/> here and below to <paramref name="found"/>.</summary>
    public int Collect(ReadOnlySpan<byte> key, Span<int> found, int count)
    {
        DispatchNode node = this;
        while (true)
        {
            if (node._rules.Length > 0)
            {
                count = Test(node._rules, key, node._pathLength, node._isRoot, found, count);
            }

            int start = 0;
            if (!node._isRoot)
            {
                if (key.Length == node._pathLength)
                {
                    return count; // the key is the path itself: nothing below it
                }

                start = node._pathLength + 1;
            }

            int slash = key.Slice(start).IndexOf((byte)'/');
            int end = slash < 0 ? key.Length : start + slash;
            foreach (AnchorPlace place in node._places)
            {
                count = place.Collect(key, start, end, node._pathLength, node._isRoot, found, count);
            }

            if (node._children is null)
            {
                return count;
            }

            DispatchNode? child = node._children.Find(key.Slice(start, end - start));
            if (child is null)
            {
                return count;
            }

            node = child;
        }
    }

    /// <summary>Tests <paramref name="rules"/> on the key and adds the positions of those that match.</summary>
    internal static int Test(TableRule[] rules, ReadOnlySpan<byte> key, int pathLength, bool atRoot, Span<int> found, int count)
    {
        foreach (TableRule rule in rules)
        {
            if (rule.Test.IsMatch(key, pathLength, atRoot))
            {
                found[count++] = rule.Order;
            }
        }

        return count;
    }
}

/// <summary>
/// The anchors of one node that look at one segment (counted from the node, or back from the key's end): the segment
/// is located once, then looked up whole, and by its first and last bytes for each prefix and suffix length filed.
/// </summary>
internal sealed class AnchorPlace
{
    private readonly bool _fromEnd;
    private readonly int _segment;
    private readonly LiteralTable<TableRule[]>? _whole;
    private readonly PartLevel? _prefixes;
    private readonly PartLevel? _suffixes;

    private AnchorPlace(bool fromEnd, int segment, List<AnchorGroup<TableRule>> groups)
    {
        _fromEnd = fromEnd;
        _segment = segment;
        var prefixes = new List<AnchorGroup<TableRule>>();
        var suffixes = new List<AnchorGroup<TableRule>>();
        foreach (AnchorGroup<TableRule> group in groups)
        {
            switch (group.Kind.Part)
            {
                case AnchorPart.Prefix:
                    prefixes.Add(group);
                    break;
                case AnchorPart.Suffix:
                    suffixes.Add(group);
                    break;
                default:
                    _whole = LiteralTable<TableRule[]>.Create(Cases(group));
                    break;
            }
        }

        _prefixes = PartLevel.For(prefixes);
        _suffixes = PartLevel.For(suffixes);
    }

    /// <summary>The node's anchor groups (in kind order, so one place's groups are adjacent) by place.</summary>
    public static AnchorPlace[] For(List<AnchorGroup<TableRule>> groups)
    {
        var places = new List<AnchorPlace>();
        for (int first = 0; first < groups.Count;)
        {
            AnchorKind kind = groups[first].Kind;
            var same = new List<AnchorGroup<TableRule>>();
            int next = first;
            while (next < groups.Count && groups[next].Kind.FromEnd == kind.FromEnd && groups[next].Kind.Segment == kind.Segment)
            {
                same.Add(groups[next++]);
            }

            places.Add(new AnchorPlace(kind.FromEnd, kind.Segment, same));
            first = next;
        }

        return places.ToArray();
    }

    internal static List<KeyValuePair<byte[], TableRule[]>> Cases(AnchorGroup<TableRule> group)
    {
        var cases = new List<KeyValuePair<byte[], TableRule[]>>(group.Cases.Count);
        foreach (AnchorCase<TableRule> c in group.Cases)
        {
            cases.Add(new KeyValuePair<byte[], TableRule[]>(c.Bytes, c.Rules.ToArray()));
        }

        return cases;
    }

    /// <param name="key">The key.</param>
    /// <param name="start">Where the segment after the node's path starts.</param>
    /// <param name="end">Where that segment ends (the next '/' or the key's end).</param>
    /// <param name="pathLength">The length of the node's path.</param>
    /// <param name="atRoot">Whether the node is the root.</param>
    /// <param name="found">The positions found so far.</param>
    /// <param name="count">How many.</param>
    public int Collect(ReadOnlySpan<byte> key, int start, int end, int pathLength, bool atRoot, Span<int> found, int count)
    {
        if (!AnchorLocator.TryLocate(key, start, end, _fromEnd, _segment, out ReadOnlySpan<byte> segment))
        {
            return count;
        }

        if (_whole?.Find(segment) is { } rules)
        {
            count = DispatchNode.Test(rules, key, pathLength, atRoot, found, count);
        }

        if (_prefixes is not null)
        {
            count = _prefixes.Collect(segment, fromStart: true, key, pathLength, atRoot, found, count);
        }

        if (_suffixes is not null)
        {
            count = _suffixes.Collect(segment, fromStart: false, key, pathLength, atRoot, found, count);
        }

        return count;
    }

    /// <summary>
    /// The prefix (or suffix) literals of one place, every length in one table, looked up once per length filed; a
    /// crowded case holds the level that tells its longer literals apart by their next bytes.
    /// </summary>
    private sealed class PartLevel
    {
        private readonly int _offset;
        private readonly int[] _lengths;
        private readonly LiteralTable<PartCase> _cases;

        private PartLevel(int offset, int[] lengths, LiteralTable<PartCase> cases)
        {
            _offset = offset;
            _lengths = lengths;
            _cases = cases;
        }

        /// <param name="groups">One side's groups at one level (same offset), lengths ascending.</param>
        public static PartLevel? For(List<AnchorGroup<TableRule>> groups)
        {
            if (groups.Count == 0)
            {
                return null;
            }

            var lengths = new int[groups.Count];
            var cases = new List<KeyValuePair<byte[], PartCase>>();
            for (int i = 0; i < groups.Count; i++)
            {
                lengths[i] = groups[i].Kind.Length;
                foreach (AnchorCase<TableRule> c in groups[i].Cases)
                {
                    cases.Add(new KeyValuePair<byte[], PartCase>(c.Bytes, new PartCase(c.Rules.ToArray(), For(c.Next))));
                }
            }

            return new PartLevel(groups[0].Offset, lengths, LiteralTable<PartCase>.Create(cases)!);
        }

        public int Collect(ReadOnlySpan<byte> segment, bool fromStart, ReadOnlySpan<byte> key, int pathLength, bool atRoot, Span<int> found, int count)
        {
            foreach (int length in _lengths)
            {
                int needed = _offset + length;
                if (segment.Length < needed)
                {
                    break; // the lengths ascend
                }

                ReadOnlySpan<byte> part = fromStart ? segment.Slice(_offset, length) : segment.Slice(segment.Length - needed, length);
                if (_cases.Find(part) is not { } match)
                {
                    continue;
                }

                if (match.Rules.Length > 0)
                {
                    count = DispatchNode.Test(match.Rules, key, pathLength, atRoot, found, count);
                }

                if (match.Next is not null)
                {
                    count = match.Next.Collect(segment, fromStart, key, pathLength, atRoot, found, count);
                }
            }

            return count;
        }
    }

    /// <summary>The rules of one prefix or suffix literal, and the level below it when it was crowded.</summary>
    private sealed class PartCase(TableRule[] rules, PartLevel? next)
    {
        public TableRule[] Rules { get; } = rules;

        public PartLevel? Next { get; } = next;
    }
}

/// <summary>Finds the segment of a key an anchor looks at (the same steps as the generated <c>SegmentAt</c>/<c>SegmentFromEnd</c>).</summary>
internal static class AnchorLocator
{
    /// <param name="key">The key.</param>
    /// <param name="start">Where the segment after the node's path starts.</param>
    /// <param name="end">Where that segment ends.</param>
    /// <param name="fromEnd">Whether <paramref name="index"/> counts back from the key's last segment.</param>
    /// <param name="index">The segment's index (0: the one at <paramref name="start"/>, or the last).</param>
    /// <param name="segment">The segment.</param>
    /// <returns>False when the key has fewer segments.</returns>
    public static bool TryLocate(ReadOnlySpan<byte> key, int start, int end, bool fromEnd, int index, out ReadOnlySpan<byte> segment)
    {
        segment = default;
        int from;
        int to;
        if (!fromEnd)
        {
            from = start;
            to = end;
            for (int i = 0; i < index; i++)
            {
                if (to == key.Length)
                {
                    return false;
                }

                from = to + 1;
                int next = key.Slice(from).IndexOf((byte)'/');
                to = next < 0 ? key.Length : from + next;
            }
        }
        else if (index == 0 && end == key.Length)
        {
            // One segment left: the last is the first.
            from = start;
            to = end;
        }
        else
        {
            to = key.Length;
            for (int i = 0; i < index; i++)
            {
                int slash = key.Slice(start, to - start).LastIndexOf((byte)'/');
                if (slash < 0)
                {
                    return false;
                }

                to = start + slash;
            }

            int previous = key.Slice(start, to - start).LastIndexOf((byte)'/');
            from = previous < 0 ? start : start + previous + 1;
        }

        segment = key.Slice(from, to - from);
        return true;
    }
}
