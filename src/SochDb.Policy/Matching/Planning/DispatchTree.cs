using System;
using System.Collections.Generic;
using System.Text;

namespace SochDb.Policy.Matching.Planning;

/// <summary>A rule as the dispatch tree sees it: its pattern's plan and its place in dispatch order.</summary>
internal interface IPlannedRule
{
    PatternPlan Pattern { get; }

    /// <summary>The rule's position in its trigger's dispatch order (handlers run in this order).</summary>
    int Order { get; }
}

/// <summary>Something a literal switch chooses between: a trie child, or an anchor's literal.</summary>
internal interface ILiteralCase
{
    /// <summary>The literal as written (for comments).</summary>
    string Literal { get; }

    /// <summary>The literal's UTF-8 bytes (what the key is compared with).</summary>
    byte[] Bytes { get; }
}

/// <summary>
/// A node of the segment trie: the rules whose literal path ends here, tested one by one (<see cref="Rules"/>) or found
/// through an anchor (<see cref="Anchors"/>), and the nodes one literal segment further down.
/// </summary>
internal sealed partial class PlanNode<TRule> : ILiteralCase
    where TRule : class, IPlannedRule
{
    public PlanNode(string segment, byte[] bytes)
    {
        Segment = segment;
        Bytes = bytes;
    }

    public string Segment { get; }

    public byte[] Bytes { get; }

    string ILiteralCase.Literal => Segment;

    public bool IsRoot { get; set; }

    /// <summary>The literal segments from the root, joined by '/' (empty at the root).</summary>
    public string Path { get; set; } = "";

    /// <summary>The UTF-8 length of <see cref="Path"/>: a key that reached this node starts with it.</summary>
    public int PathLength { get; set; }

    /// <summary>Where the segment after <see cref="Path"/> starts in the key (0 at the root).</summary>
    public int NextStart => IsRoot ? 0 : PathLength + 1;

    /// <summary>The rules tested one by one at this node, in dispatch order.</summary>
    public List<TRule> Rules { get; } = new();

    /// <summary>The rules found through anchors, one group per kind, in kind order.</summary>
    public List<AnchorGroup<TRule>> Anchors { get; } = new();

    /// <summary>The nodes one literal segment down, in byte order.</summary>
    public List<PlanNode<TRule>> Children { get; } = new();

    /// <summary>The most rules one key can meet at this node and below (each anchor literal a rule is filed under counts).</summary>
    public int Capacity { get; set; }

    /// <summary>Every rule filed here, before the choice between testing and anchoring.</summary>
    internal List<TRule> Filed { get; } = new();

    /// <summary>The children by segment, while the tree is built (a run-time table of many rules is rebuilt often).</summary>
    internal Dictionary<string, PlanNode<TRule>> ChildIndex { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The rules of one node found through one anchor kind: a literal switch over <see cref="Cases"/>. A group below a
/// crowded prefix or suffix case compares the next bytes of the literals, after the <see cref="Offset"/> bytes the
/// cases above it compared.
/// </summary>
internal sealed class AnchorGroup<TRule>
    where TRule : class, IPlannedRule
{
    public AnchorGroup(AnchorKind kind, int offset = 0)
    {
        Kind = kind;
        Offset = offset;
    }

    public AnchorKind Kind { get; }

    /// <summary>
    /// For a prefix (suffix): how many bytes from the segment's start (end) the groups above compared; the part this
    /// group compares is the <see cref="AnchorKind.Length"/> bytes after (before) those. 0 for a node's own groups.
    /// </summary>
    public int Offset { get; }

    /// <summary>One case per literal, in byte order.</summary>
    public List<AnchorCase<TRule>> Cases { get; } = new();

    /// <summary>The cases by literal (<see cref="AnchorEntry.Key"/>), while the tree is built.</summary>
    internal Dictionary<string, AnchorCase<TRule>> CaseIndex { get; } = new(StringComparer.Ordinal);

    /// <summary>The most rules one key can meet through this group (one case, and the groups below it).</summary>
    public int MaxRules
    {
        get
        {
            int max = 0;
            foreach (AnchorCase<TRule> c in Cases)
            {
                max = Math.Max(max, c.MaxRules);
            }

            return max;
        }
    }

    /// <summary>Every rule filed in this group, at any depth (a rule may be listed more than once).</summary>
    public IEnumerable<TRule> AllRules()
    {
        foreach (AnchorCase<TRule> c in Cases)
        {
            foreach (TRule rule in c.AllRules())
            {
                yield return rule;
            }
        }
    }
}

/// <summary>
/// The rules filed under one literal of an anchor, in dispatch order; when more than a few rules share the literal and
/// their whole literals go on, those are filed one level further down (<see cref="Next"/>) by their next bytes.
/// </summary>
internal sealed class AnchorCase<TRule> : ILiteralCase
    where TRule : class, IPlannedRule
{
    public AnchorCase(string literal, byte[] bytes)
    {
        Literal = literal;
        Bytes = bytes;
    }

    public string Literal { get; }

    public byte[] Bytes { get; }

    /// <summary>The rules tested when the key's part equals <see cref="Bytes"/>.</summary>
    public List<TRule> Rules { get; } = new();

    /// <summary>The groups that tell the longer literals of a crowded case apart, by their next bytes, shortest first.</summary>
    public List<AnchorGroup<TRule>> Next { get; } = new();

    /// <summary>The most rules one key can meet through this case.</summary>
    public int MaxRules
    {
        get
        {
            int max = Rules.Count;
            foreach (AnchorGroup<TRule> group in Next)
            {
                max += group.MaxRules;
            }

            return max;
        }
    }

    /// <summary>The rules and whole literals filed here, while the tree is built.</summary>
    internal List<KeyValuePair<TRule, byte[]>> Members { get; } = new();

    public IEnumerable<TRule> AllRules()
    {
        foreach (TRule rule in Rules)
        {
            yield return rule;
        }

        foreach (AnchorGroup<TRule> group in Next)
        {
            foreach (TRule rule in group.AllRules())
            {
                yield return rule;
            }
        }
    }
}

/// <summary>
/// Builds the dispatch tree of one trigger, shared by the source generator (which writes it as code) and the
/// run-time rule table (which interprets it): rules are filed under their literal paths; at a node where more than
/// <see cref="AnchorThreshold"/> rules could be anchored, those are filed by anchor instead of tested one by one.
/// </summary>
internal static class DispatchTree
{
    /// <summary>Up to this many rules at one node are cheaper (and read better) tested one by one.</summary>
    public const int AnchorThreshold = 4;

    /// <param name="rules">The trigger's rules in dispatch order.</param>
    public static PlanNode<TRule> Build<TRule>(IEnumerable<TRule> rules)
        where TRule : class, IPlannedRule
    {
        var root = new PlanNode<TRule>("", Array.Empty<byte>()) { IsRoot = true };
        foreach (TRule rule in rules)
        {
            foreach (string[] path in rule.Pattern.Paths)
            {
                PlanNode<TRule> node = root;
                foreach (string segment in path)
                {
                    node = ChildOf(node, segment);
                }

                node.Filed.Add(rule);
            }
        }

        Finish(root, parent: null);
        return root;
    }

    private static PlanNode<TRule> ChildOf<TRule>(PlanNode<TRule> node, string segment)
        where TRule : class, IPlannedRule
    {
        if (!node.ChildIndex.TryGetValue(segment, out PlanNode<TRule>? child))
        {
            child = new PlanNode<TRule>(segment, Encoding.UTF8.GetBytes(segment));
            node.ChildIndex.Add(segment, child);
            node.Children.Add(child);
        }

        return child;
    }

    private static void Finish<TRule>(PlanNode<TRule> node, PlanNode<TRule>? parent)
        where TRule : class, IPlannedRule
    {
        if (parent is not null)
        {
            node.Path = parent.IsRoot ? node.Segment : parent.Path + "/" + node.Segment;
            node.PathLength = parent.IsRoot ? node.Bytes.Length : parent.PathLength + 1 + node.Bytes.Length;
        }

        int anchorable = 0;
        foreach (TRule rule in node.Filed)
        {
            anchorable += rule.Pattern.Anchor is null ? 0 : 1;
        }

        var groups = new SortedDictionary<AnchorKind, AnchorGroup<TRule>>();
        foreach (TRule rule in node.Filed)
        {
            AnchorEntry[]? anchor = rule.Pattern.Anchor;
            if (anchor is null || anchorable <= AnchorThreshold)
            {
                node.Rules.Add(rule);
                continue;
            }

            foreach (AnchorEntry entry in anchor)
            {
                if (!groups.TryGetValue(entry.Kind, out AnchorGroup<TRule>? group))
                {
                    group = new AnchorGroup<TRule>(entry.Kind);
                    groups.Add(entry.Kind, group);
                }

                CaseOf(group, entry.Key, entry.Literal, entry.Bytes).Members.Add(new KeyValuePair<TRule, byte[]>(rule, entry.Full));
            }
        }

        int capacity = node.Rules.Count;
        foreach (AnchorGroup<TRule> group in groups.Values)
        {
            Settle(group);
            node.Anchors.Add(group);
            capacity += group.MaxRules;
        }

        node.Children.Sort(static (a, b) => CompareBytes(a.Bytes, b.Bytes));
        int below = 0;
        foreach (PlanNode<TRule> child in node.Children)
        {
            Finish(child, node);
            below = Math.Max(below, child.Capacity);
        }

        // A key walks into one child at most.
        node.Capacity = capacity + below;
    }

    private static AnchorCase<TRule> CaseOf<TRule>(AnchorGroup<TRule> group, string key, string literal, byte[] bytes)
        where TRule : class, IPlannedRule
    {
        if (!group.CaseIndex.TryGetValue(key, out AnchorCase<TRule>? found))
        {
            found = new AnchorCase<TRule>(literal, bytes);
            group.CaseIndex.Add(key, found);
            group.Cases.Add(found);
        }

        return found;
    }

    /// <summary>Sorts a group's cases and decides, case by case, which rules are tested there and which go a level down.</summary>
    private static void Settle<TRule>(AnchorGroup<TRule> group)
        where TRule : class, IPlannedRule
    {
        group.Cases.Sort(static (a, b) => CompareBytes(a.Bytes, b.Bytes));
        foreach (AnchorCase<TRule> c in group.Cases)
        {
            Settle(c, group);
        }
    }

    /// <summary>
    /// A prefix or suffix case shared by more than <see cref="AnchorThreshold"/> rules whose whole literals go on past
    /// the bytes compared (<c>*-1.json</c>, <c>*-2.json</c>, ... all under <c>json</c>) files those rules one level down,
    /// by their next bytes (at most four again, <c>1.js</c>, <c>2.js</c>), so a key meets the rules of its own literal,
    /// not every rule that shares four bytes with it. A rule whose literal ends here is tested here.
    /// </summary>
    private static void Settle<TRule>(AnchorCase<TRule> c, AnchorGroup<TRule> group)
        where TRule : class, IPlannedRule
    {
        AnchorKind kind = group.Kind;
        int compared = group.Offset + kind.Length;
        var all = new UniqueList<TRule>();
        var direct = new UniqueList<TRule>();
        foreach (KeyValuePair<TRule, byte[]> member in c.Members)
        {
            all.Add(member.Key);
            if (kind.Part == AnchorPart.Whole || member.Value.Length <= compared)
            {
                direct.Add(member.Key);
            }
        }

        if (all.Items.Count <= AnchorThreshold || all.Items.Count - direct.Items.Count <= 1)
        {
            c.Rules.AddRange(all.Items);
            return;
        }

        c.Rules.AddRange(direct.Items);
        var next = new SortedDictionary<int, AnchorGroup<TRule>>();
        foreach (KeyValuePair<TRule, byte[]> member in c.Members)
        {
            if (direct.Contains(member.Key))
            {
                continue; // its literal ends here (or another of its literals does): tested here
            }

            byte[] full = member.Value;
            int length = Math.Min(AnchorChooser.PartLength, full.Length - compared);
            var bytes = new byte[length];
            Array.Copy(full, kind.Part == AnchorPart.Prefix ? compared : full.Length - compared - length, bytes, 0, length);
            if (!next.TryGetValue(length, out AnchorGroup<TRule>? below))
            {
                below = new AnchorGroup<TRule>(new AnchorKind(kind.FromEnd, kind.Segment, kind.Part, length), compared);
                next.Add(length, below);
            }

            CaseOf(below, AnchorText.Key(bytes), AnchorText.Describe(bytes), bytes).Members.Add(member);
        }

        foreach (AnchorGroup<TRule> below in next.Values)
        {
            Settle(below);
            c.Next.Add(below);
        }
    }

    /// <summary>Rules in the order first added, each once.</summary>
    private sealed class UniqueList<TRule>
        where TRule : class
    {
        private readonly HashSet<TRule> _seen = new(ReferenceEqualityComparer<TRule>.Instance);

        public List<TRule> Items { get; } = new();

        public void Add(TRule rule)
        {
            if (_seen.Add(rule))
            {
                Items.Add(rule);
            }
        }

        public bool Contains(TRule rule) => _seen.Contains(rule);
    }

    private sealed class ReferenceEqualityComparer<T> : IEqualityComparer<T>
        where T : class
    {
        public static readonly ReferenceEqualityComparer<T> Instance = new();

        public bool Equals(T? x, T? y) => ReferenceEquals(x, y);

        public int GetHashCode(T obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }

    /// <summary>Ordinal byte order: the order literals are listed in the generated code.</summary>
    public static int CompareBytes(byte[] a, byte[] b)
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
}
