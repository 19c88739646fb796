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
/// node's own rules, look the key up in each anchor, and go on into the child its next segment names.
/// </summary>
internal sealed class DispatchNode
{
    private readonly int _pathLength;
    private readonly bool _isRoot;
    private readonly TableRule[] _rules;
    private readonly AnchorIndex[] _anchors;
    private readonly LiteralTable<DispatchNode>? _children;

    private DispatchNode(PlanNode<TableRule> plan)
    {
        _pathLength = plan.PathLength;
        _isRoot = plan.IsRoot;
        _rules = plan.Rules.ToArray();
        _anchors = new AnchorIndex[plan.Anchors.Count];
        for (int i = 0; i < _anchors.Length; i++)
        {
            _anchors[i] = new AnchorIndex(plan.Anchors[i]);
        }

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
            foreach (TableRule rule in node._rules)
            {
                if (rule.Test.IsMatch(key, node._pathLength, node._isRoot))
                {
                    found[count++] = rule.Order;
                }
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

            foreach (AnchorIndex anchor in node._anchors)
            {
                count = anchor.Collect(key, start, node._pathLength, node._isRoot, found, count);
            }

            if (node._children is null)
            {
                return count;
            }

            int slash = key.Slice(start).IndexOf((byte)'/');
            int end = slash < 0 ? key.Length : start + slash;
            DispatchNode? child = node._children.Find(key.Slice(start, end - start));
            if (child is null)
            {
                return count;
            }

            node = child;
        }
    }

    /// <summary>The rules of one node filed under one anchor kind.</summary>
    private sealed class AnchorIndex
    {
        private readonly AnchorKind _kind;
        private readonly LiteralTable<TableRule[]> _cases;

        public AnchorIndex(AnchorGroup<TableRule> group)
        {
            _kind = group.Kind;
            var cases = new List<KeyValuePair<byte[], TableRule[]>>(group.Cases.Count);
            foreach (AnchorCase<TableRule> c in group.Cases)
            {
                cases.Add(new KeyValuePair<byte[], TableRule[]>(c.Bytes, c.Rules.ToArray()));
            }

            _cases = LiteralTable<TableRule[]>.Create(cases)!;
        }

        public int Collect(ReadOnlySpan<byte> key, int start, int pathLength, bool atRoot, Span<int> found, int count)
        {
            if (!AnchorLocator.TryLocate(key, start, _kind, out ReadOnlySpan<byte> part))
            {
                return count;
            }

            TableRule[]? rules = _cases.Find(part);
            if (rules is null)
            {
                return count;
            }

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
}

/// <summary>Finds the part of a key an anchor compares (the same steps as the generated <c>SegmentAt</c>/<c>SegmentFromEnd</c>).</summary>
internal static class AnchorLocator
{
    public static bool TryLocate(ReadOnlySpan<byte> key, int start, AnchorKind kind, out ReadOnlySpan<byte> part)
    {
        part = default;
        int from;
        int to;
        if (!kind.FromEnd)
        {
            from = start;
            for (int i = 0; i < kind.Segment; i++)
            {
                int slash = key.Slice(from).IndexOf((byte)'/');
                if (slash < 0)
                {
                    return false;
                }

                from += slash + 1;
            }

            int next = key.Slice(from).IndexOf((byte)'/');
            to = next < 0 ? key.Length : from + next;
        }
        else
        {
            to = key.Length;
            for (int i = 0; i < kind.Segment; i++)
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

        ReadOnlySpan<byte> segment = key.Slice(from, to - from);
        switch (kind.Part)
        {
            case AnchorPart.Prefix:
                if (segment.Length < kind.Length)
                {
                    return false;
                }

                part = segment.Slice(0, kind.Length);
                return true;
            case AnchorPart.Suffix:
                if (segment.Length < kind.Length)
                {
                    return false;
                }

                part = segment.Slice(segment.Length - kind.Length);
                return true;
            default:
                part = segment;
                return true;
        }
    }
}
