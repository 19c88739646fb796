using System;
using System.Collections.Generic;

namespace SochDb.Policy.Engine;

/// <summary>
/// The run-time rules of one engine, immutable. Registration builds a new table and swaps it in atomically, so an
/// operation reads one consistent table without a lock and never sees a half-registered rule.
/// </summary>
internal sealed class RuleTable
{
    private const int TriggerCount = 6;

    private readonly TriggerRules[] _triggers;

    private RuleTable(TriggerRules[] triggers, int count)
    {
        _triggers = triggers;
        Count = count;
        for (int trigger = 0; trigger < triggers.Length; trigger++)
        {
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

    /// <summary>A new table holding every rule of this one plus <paramref name="rule"/>.</summary>
    public RuleTable With(RuntimeRule rule)
    {
        var triggers = (TriggerRules[])_triggers.Clone();
        int index = (int)rule.Info.Trigger;
        triggers[index] = triggers[index].With(rule);
        return new RuleTable(triggers, Count + 1);
    }

    /// <summary>A new table holding every rule of this one but <paramref name="rule"/> (by identity); this one when it is absent.</summary>
    public RuleTable Without(RuntimeRule rule)
    {
        int index = (int)rule.Info.Trigger;
        TriggerRules shrunk = _triggers[index].Without(rule);
        if (ReferenceEquals(shrunk, _triggers[index]))
        {
            return this;
        }

        var triggers = (TriggerRules[])_triggers.Clone();
        triggers[index] = shrunk;
        return new RuleTable(triggers, Count - 1);
    }

    private static RuleTable CreateEmpty()
    {
        var triggers = new TriggerRules[TriggerCount];
        Array.Fill(triggers, TriggerRules.Empty);
        return new RuleTable(triggers, 0);
    }
}

/// <summary>
/// The rules of one trigger, grouped by the literal first segment of their pattern. A key only meets the rules of its
/// own first segment plus the rules whose pattern starts with a wildcard, merged back into registration order; so the
/// cost of a decision follows the number of rules that could match, not the number registered.
/// </summary>
internal sealed class TriggerRules
{
    private static readonly RuntimeRule[] NoRules = Array.Empty<RuntimeRule>();

    private readonly Dictionary<byte[], RuntimeRule[]> _byFirstSegment;
    private readonly Dictionary<byte[], RuntimeRule[]>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly RuntimeRule[] _anyFirstSegment;

    private TriggerRules(Dictionary<byte[], RuntimeRule[]> byFirstSegment, RuntimeRule[] anyFirstSegment, int count)
    {
        _byFirstSegment = byFirstSegment;
        _lookup = byFirstSegment.GetAlternateLookup<ReadOnlySpan<byte>>();
        _anyFirstSegment = anyFirstSegment;
        Count = count;
    }

    public static TriggerRules Empty { get; } = new(new Dictionary<byte[], RuntimeRule[]>(ByteSegmentComparer.Instance), NoRules, 0);

    public int Count { get; }

    public bool IsEmpty => Count == 0;

    public TriggerRules With(RuntimeRule rule)
    {
        var byFirstSegment = new Dictionary<byte[], RuntimeRule[]>(_byFirstSegment, ByteSegmentComparer.Instance);
        RuntimeRule[] any = _anyFirstSegment;
        if (rule.FirstSegment is null)
        {
            any = Append(any, rule);
        }
        else
        {
            byFirstSegment[rule.FirstSegment] = Append(byFirstSegment.GetValueOrDefault(rule.FirstSegment, NoRules), rule);
        }

        return new TriggerRules(byFirstSegment, any, Count + 1);
    }

    /// <summary>A copy without <paramref name="rule"/> (by identity); this instance when it is absent.</summary>
    public TriggerRules Without(RuntimeRule rule)
    {
        if (rule.FirstSegment is null)
        {
            int index = Array.IndexOf(_anyFirstSegment, rule);
            if (index < 0)
            {
                return this;
            }

            var byFirst = new Dictionary<byte[], RuntimeRule[]>(_byFirstSegment, ByteSegmentComparer.Instance);
            return new TriggerRules(byFirst, Remove(_anyFirstSegment, index), Count - 1);
        }

        if (!_byFirstSegment.TryGetValue(rule.FirstSegment, out RuntimeRule[]? group) || Array.IndexOf(group, rule) is var at && at < 0)
        {
            return this;
        }

        var byFirstSegment = new Dictionary<byte[], RuntimeRule[]>(_byFirstSegment, ByteSegmentComparer.Instance);
        RuntimeRule[] rest = Remove(group, Array.IndexOf(group, rule));
        if (rest.Length == 0)
        {
            byFirstSegment.Remove(rule.FirstSegment);
        }
        else
        {
            byFirstSegment[rule.FirstSegment] = rest;
        }

        return new TriggerRules(byFirstSegment, _anyFirstSegment, Count - 1);
    }

    private static RuntimeRule[] Remove(RuntimeRule[] rules, int index)
    {
        if (rules.Length == 1)
        {
            return NoRules;
        }

        var result = new RuntimeRule[rules.Length - 1];
        Array.Copy(rules, 0, result, 0, index);
        Array.Copy(rules, index + 1, result, index, result.Length - index);
        return result;
    }

    /// <summary>
    /// Runs every matching decision handler in registration order, threading <paramref name="evaluation"/>; stops at
    /// the first Deny. Exceptions propagate (the engine fails closed).
    /// </summary>
    public void Evaluate(ref PolicyEvaluation evaluation)
    {
        ReadOnlySpan<byte> key = evaluation.Key;
        RuntimeRule[] group = GroupOf(key);
        RuntimeRule[] any = _anyFirstSegment;
        int g = 0;
        int a = 0;
        while (g < group.Length || a < any.Length)
        {
            RuntimeRule rule = a >= any.Length || (g < group.Length && group[g].Sequence < any[a].Sequence) ? group[g++] : any[a++];
            if (!rule.Matcher.IsMatch(key))
            {
                continue;
            }

            evaluation.Enter(rule.Info);
            if (!evaluation.Apply(rule.Handler!(evaluation.Request)))
            {
                return;
            }
        }
    }

    /// <summary>Runs every matching observer in registration order. The first exception propagates.</summary>
    public void Observe(ref PolicyEvaluation evaluation)
    {
        ReadOnlySpan<byte> key = evaluation.Key;
        RuntimeRule[] group = GroupOf(key);
        RuntimeRule[] any = _anyFirstSegment;
        int g = 0;
        int a = 0;
        while (g < group.Length || a < any.Length)
        {
            RuntimeRule rule = a >= any.Length || (g < group.Length && group[g].Sequence < any[a].Sequence) ? group[g++] : any[a++];
            if (rule.Matcher.IsMatch(key))
            {
                evaluation.Enter(rule.Info);
                rule.Observer!(evaluation.Request);
            }
        }
    }

    private RuntimeRule[] GroupOf(ReadOnlySpan<byte> key)
    {
        if (_byFirstSegment.Count == 0)
        {
            return NoRules;
        }

        int slash = key.IndexOf((byte)'/');
        ReadOnlySpan<byte> first = slash < 0 ? key : key.Slice(0, slash);
        return _lookup.TryGetValue(first, out RuntimeRule[]? rules) ? rules : NoRules;
    }

    private static RuntimeRule[] Append(RuntimeRule[] rules, RuntimeRule rule)
    {
        var result = new RuntimeRule[rules.Length + 1];
        rules.CopyTo(result, 0);
        result[^1] = rule;
        return result;
    }
}
