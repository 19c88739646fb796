using System;
using System.Collections.Generic;
using System.ComponentModel;

namespace SochDb.Policy.CompilerServices;

/// <summary>
/// A set of rules compiled ahead of time. The source generator emits one sealed subclass per partial class
/// carrying policy attributes (exposed as its <c>Compiled</c> property); hand-written subclasses work too.
/// The engine runs compiled sets in the order it was given them, before run-time handlers (see
/// <see href="https://github.com/sochdb/sochdb/blob/main/docs/semantics.md">docs/semantics.md</see>).
/// </summary>
/// <remarks>
/// What the generated code derives from, so it lives with the other types generated code uses: users rarely name it,
/// they pass a class's generated <c>Compiled</c> property to the engine (or call its <see cref="WithMode"/>).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class CompiledPolicySet
{
    private readonly int _triggerMask;

    /// <summary>Creates the set.</summary>
    /// <param name="name">A display name (the generator uses the class's full name).</param>
    /// <param name="rules">Every rule, in dispatch order (by <c>Order</c>, then declaration order).</param>
    /// <param name="rateLimits">Rate limits declared with <c>[RateLimit]</c>.</param>
    protected CompiledPolicySet(string name, PolicyRuleInfo[] rules, RateLimitRule[]? rateLimits = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(rules);
        Name = name;
        Rules = rules;
        RateLimits = rateLimits ?? Array.Empty<RateLimitRule>();
        foreach (PolicyRuleInfo rule in rules)
        {
            _triggerMask |= 1 << (int)rule.Trigger;
        }
    }

    /// <summary>The set's display name.</summary>
    public string Name { get; }

    /// <summary>Every rule, in dispatch order.</summary>
    public IReadOnlyList<PolicyRuleInfo> Rules { get; }

    /// <summary>The rate limits the set declares; the engine adds them when it is constructed.</summary>
    public IReadOnlyList<RateLimitRule> RateLimits { get; }

    /// <summary>Whether any rule runs on <paramref name="trigger"/> (lets the engine skip the call).</summary>
    public bool Handles(PolicyTrigger trigger) => (_triggerMask & (1 << (int)trigger)) != 0;

    /// <summary>
    /// Runs, in order, every handler of <see cref="PolicyEvaluation.Trigger"/> whose pattern matches
    /// <see cref="PolicyEvaluation.Key"/>: <see cref="PolicyEvaluation.Enter"/> before each, then
    /// <see cref="PolicyEvaluation.Apply"/> with its decision, returning as soon as Apply says stop.
    /// Exceptions from handlers propagate; the engine turns them into fail-closed refusals.
    /// </summary>
    public abstract void Evaluate(ref PolicyEvaluation evaluation);

    /// <summary>How the engine applies this set's verdicts; <see cref="EnforcementMode.Enforce"/> unless made with <see cref="WithMode"/>.</summary>
    public virtual EnforcementMode Mode => EnforcementMode.Enforce;

    /// <summary>
    /// This set in <paramref name="mode"/>: with <see cref="EnforcementMode.Shadow"/>, every verdict of its rules is
    /// recorded (a refusal as <c>WouldDeny</c>) and none is applied — a way to try rules on real traffic first.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not defined.</exception>
    public CompiledPolicySet WithMode(EnforcementMode mode)
    {
        if (mode is not (EnforcementMode.Enforce or EnforcementMode.Shadow))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Mode is Enforce or Shadow.");
        }

        CompiledPolicySet inner = this is ModedPolicySet moded ? moded.Inner : this;
        return mode == inner.Mode ? inner : new ModedPolicySet(inner, mode);
    }

    /// <inheritdoc />
    public override string ToString() => Mode == EnforcementMode.Shadow ? Name + " (shadow)" : Name;

    /// <summary>A compiled set run in another mode than its own.</summary>
    private sealed class ModedPolicySet : CompiledPolicySet
    {
        public ModedPolicySet(CompiledPolicySet inner, EnforcementMode mode)
            : base(inner.Name, ToArray(inner.Rules), ToArray(inner.RateLimits))
        {
            Inner = inner;
            Mode = mode;
        }

        public CompiledPolicySet Inner { get; }

        public override EnforcementMode Mode { get; }

        public override void Evaluate(ref PolicyEvaluation evaluation)
        {
            bool shadowAll = evaluation.ShadowAll;
            evaluation.ShadowAll = shadowAll || Mode == EnforcementMode.Shadow;
            try
            {
                Inner.Evaluate(ref evaluation);
            }
            finally
            {
                evaluation.ShadowAll = shadowAll;
            }
        }

        private static T[] ToArray<T>(IReadOnlyList<T> items)
        {
            var array = new T[items.Count];
            for (int i = 0; i < array.Length; i++)
            {
                array[i] = items[i];
            }

            return array;
        }
    }
}
