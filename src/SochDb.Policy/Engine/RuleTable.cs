using System;
using System.Buffers;
using System.Collections.Generic;
using SochDb.Policy.Matching;
using SochDb.Policy.Matching.Planning;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Engine;

/// <summary>
/// The run-time rules of one engine, immutable. Every change (adding, removing, loading a whole list) builds a new
/// table and the engine swaps it in atomically, so an operation reads one consistent table without a lock and never
/// sees a half-registered rule.
/// </summary>
internal sealed class RuleTable
{
    private const int TriggerCount = 6;

    private readonly TriggerRules[] _triggers;

    private RuleTable(TriggerRules[] triggers)
    {
        _triggers = triggers;
        for (int trigger = 0; trigger < triggers.Length; trigger++)
        {
            Count += triggers[trigger].Count;
            if (!triggers[trigger].IsEmpty)
            {
                TriggerMask |= 1 << trigger;
            }
        }
    }

    public static RuleTable Empty { get; } = CreateEmpty();

    /// <summary>Total number of rules.</summary>
    public int Count { get; }

    /// <summary>Bit <c>1 &lt;&lt; trigger</c> is set when the trigger has at least one rule.</summary>
    public int TriggerMask { get; }

    public TriggerRules this[PolicyTrigger trigger] => _triggers[(int)trigger];

    /// <summary>
    /// A table of <paramref name="rules"/> (any order: each trigger's rules run by <see cref="RuntimeRule.Sequence"/>),
    /// built in one pass: what loading a whole configuration uses, instead of one rebuild per rule.
    /// </summary>
    public static RuleTable Build(IEnumerable<RuntimeRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var perTrigger = new List<RuntimeRule>[TriggerCount];
        foreach (RuntimeRule rule in rules)
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(rules));
            (perTrigger[(int)rule.Info.Trigger] ??= new List<RuntimeRule>()).Add(rule);
        }

        var triggers = new TriggerRules[TriggerCount];
        for (int i = 0; i < TriggerCount; i++)
        {
            triggers[i] = perTrigger[i] is { } list ? TriggerRules.Create(list) : TriggerRules.Empty;
        }

        return new RuleTable(triggers);
    }

    /// <summary>
    /// A new table without the rules of <paramref name="removing"/> (compared by identity) and with those of
    /// <paramref name="adding"/>: each trigger that changes gets its dispatch tree built once, whatever the number of
    /// rules, so replacing a whole configuration costs one build per trigger, not one per rule. This table when nothing
    /// changes.
    /// </summary>
    /// <param name="removing">Rules to remove; those the table does not hold are ignored.</param>
    /// <param name="adding">Rules to add (each trigger's rules run by <see cref="RuntimeRule.Sequence"/>).</param>
    /// <param name="builds">How many trigger tables were built (at most one per trigger).</param>
    public RuleTable Replace(IReadOnlyCollection<RuntimeRule> removing, IReadOnlyCollection<RuntimeRule> adding, out int builds)
    {
        builds = 0;
        var removed = new HashSet<RuntimeRule>[TriggerCount];
        foreach (RuntimeRule rule in removing)
        {
            (removed[(int)rule.Info.Trigger] ??= new HashSet<RuntimeRule>(ReferenceEqualityComparer.Instance)).Add(rule);
        }

        var added = new List<RuntimeRule>[TriggerCount];
        foreach (RuntimeRule rule in adding)
        {
            (added[(int)rule.Info.Trigger] ??= new List<RuntimeRule>()).Add(rule);
        }

        TriggerRules[]? triggers = null;
        for (int i = 0; i < TriggerCount; i++)
        {
            TriggerRules current = _triggers[i];
            HashSet<RuntimeRule>? leaving = removed[i];
            List<RuntimeRule>? joining = added[i];
            var kept = new List<RuntimeRule>(current.Count + (joining?.Count ?? 0));
            foreach (RuntimeRule rule in current.Rules)
            {
                if (leaving is null || !leaving.Contains(rule))
                {
                    kept.Add(rule);
                }
            }

            if (joining is null && kept.Count == current.Count)
            {
                continue;
            }

            if (joining is not null)
            {
                kept.AddRange(joining);
            }

            triggers ??= (TriggerRules[])_triggers.Clone();
            triggers[i] = kept.Count == 0 ? TriggerRules.Empty : TriggerRules.Create(kept);
            builds += kept.Count == 0 ? 0 : 1;
        }

        return triggers is null ? this : new RuleTable(triggers);
    }

    /// <summary>Whether the table holds <paramref name="rule"/> (by identity).</summary>
    public bool Contains(RuntimeRule rule) => _triggers[(int)rule.Info.Trigger].Contains(rule);

    private static RuleTable CreateEmpty()
    {
        var triggers = new TriggerRules[TriggerCount];
        Array.Fill(triggers, TriggerRules.Empty);
        return new RuleTable(triggers);
    }
}

/// <summary>
/// The rules of one trigger, filed in the dispatch tree the source generator also uses (literal paths, then anchors:
/// a segment, suffix or prefix a matching key must hold), so the cost of a decision follows the key and the rules
/// that could match it, not the number registered. The delegates sit at the leaves: matching rules are collected by
/// position, sorted, and run in registration order.
/// </summary>
internal sealed class TriggerRules
{
    // Collected positions up to this many live on the stack; more (thousands of rules matching one key) use a pooled array.
    private const int StackLimit = 128;

    private readonly RuntimeRule[] _rules;
    private readonly DispatchNode? _root;
    private readonly int _capacity;

    private TriggerRules(RuntimeRule[] rules)
    {
        _rules = rules;
        if (rules.Length == 0)
        {
            return;
        }

        var planned = new TableRule[rules.Length];
        for (int i = 0; i < rules.Length; i++)
        {
            planned[i] = new TableRule(i, rules[i].Plan, rules[i].Test);
        }

        PlanNode<TableRule> tree = DispatchTree.Build(planned);
        _capacity = tree.Capacity;
        _root = DispatchNode.Create(tree);
    }

    public static TriggerRules Empty { get; } = new([]);

    public int Count => _rules.Length;

    public bool IsEmpty => _rules.Length == 0;

    /// <summary>The rules, in the order they run.</summary>
    public ReadOnlySpan<RuntimeRule> Rules => _rules;

    public static TriggerRules Create(List<RuntimeRule> rules)
    {
        RuntimeRule[] sorted = rules.ToArray();
        Array.Sort(sorted, static (a, b) => a.Sequence.CompareTo(b.Sequence));
        return new TriggerRules(sorted);
    }

    public bool Contains(RuntimeRule rule) => Array.IndexOf(_rules, rule) >= 0;

    /// <summary>
    /// Runs every matching decision handler in registration order, threading <paramref name="evaluation"/>; stops at
    /// the first Deny. Exceptions propagate (the engine fails closed).
    /// </summary>
    public void Evaluate(ref PolicyEvaluation evaluation)
    {
        if (_capacity > StackLimit)
        {
            EvaluatePooled(ref evaluation);
            return;
        }

        Span<int> found = stackalloc int[_capacity];
        int count = Find(evaluation.Key, found);
        Decide(ref evaluation, found.Slice(0, count));
    }

    /// <summary>Runs every matching observer in registration order. The first exception propagates.</summary>
    public void Observe(ref PolicyEvaluation evaluation)
    {
        if (_capacity > StackLimit)
        {
            ObservePooled(ref evaluation);
            return;
        }

        Span<int> found = stackalloc int[_capacity];
        int count = Find(evaluation.Key, found);
        Notify(ref evaluation, found.Slice(0, count));
    }

    private void EvaluatePooled(ref PolicyEvaluation evaluation)
    {
        int[] pooled = ArrayPool<int>.Shared.Rent(_capacity);
        try
        {
            int count = Find(evaluation.Key, pooled);
            Decide(ref evaluation, pooled.AsSpan(0, count));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(pooled);
        }
    }

    private void ObservePooled(ref PolicyEvaluation evaluation)
    {
        int[] pooled = ArrayPool<int>.Shared.Rent(_capacity);
        try
        {
            int count = Find(evaluation.Key, pooled);
            Notify(ref evaluation, pooled.AsSpan(0, count));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(pooled);
        }
    }

    /// <summary>The dispatch positions of the matching rules, sorted, each once (a rule filed under two literals may be found twice).</summary>
    private int Find(ReadOnlySpan<byte> key, Span<int> found)
    {
        int count = _root!.Collect(key, found, 0);
        for (int i = 1; i < count; i++)
        {
            int order = found[i];
            int at = i;
            for (; at > 0 && found[at - 1] > order; at--)
            {
                found[at] = found[at - 1];
            }

            found[at] = order;
        }

        int distinct = 0;
        for (int i = 0; i < count; i++)
        {
            if (distinct == 0 || found[distinct - 1] != found[i])
            {
                found[distinct++] = found[i];
            }
        }

        return distinct;
    }

    private void Decide(ref PolicyEvaluation evaluation, scoped ReadOnlySpan<int> found)
    {
        RuntimeRule[] rules = _rules;
        foreach (int order in found)
        {
            RuntimeRule rule = rules[order];
            evaluation.Enter(rule.Info);
            PolicyDecision decision;
            if (evaluation.CurrentIsShadow)
            {
                // A shadow rule that throws would have refused: recorded, and the rules after it still run.
                try
                {
                    decision = rule.Handler!(evaluation.Request);
                }
                catch (Exception exception)
                {
                    evaluation.NoteShadowFailure(exception);
                    continue;
                }
            }
            else
            {
                decision = rule.Handler!(evaluation.Request);
            }

            if (!evaluation.Apply(decision))
            {
                return;
            }
        }
    }

    private void Notify(ref PolicyEvaluation evaluation, scoped ReadOnlySpan<int> found)
    {
        RuntimeRule[] rules = _rules;
        foreach (int order in found)
        {
            RuntimeRule rule = rules[order];
            evaluation.Enter(rule.Info);
            rule.Observer!(evaluation.Request);
        }
    }
}
