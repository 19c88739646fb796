using System;

namespace SochDb.Policy;

/// <summary>Describes one rule: which trigger, which pattern, which handler. Named in audit entries and violations.</summary>
public sealed class PolicyRuleInfo
{
    private string? _text;

    /// <summary>Creates a rule description.</summary>
    public PolicyRuleInfo(PolicyTrigger trigger, string pattern, string handlerName, int order = 0)
        : this(trigger, pattern, handlerName, order, EnforcementMode.Enforce)
    {
    }

    /// <summary>Creates a rule description with an enforcement mode.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not defined.</exception>
    public PolicyRuleInfo(PolicyTrigger trigger, string pattern, string handlerName, int order, EnforcementMode mode)
        : this(trigger, pattern, handlerName, order, mode, alwaysDenies: false)
    {
    }

    /// <summary>Creates a rule description saying whether the rule refuses every operation it matches.</summary>
    /// <param name="trigger">When the rule runs.</param>
    /// <param name="pattern">The glob pattern.</param>
    /// <param name="handlerName">The handler's name.</param>
    /// <param name="order">Ordering key within a compiled set.</param>
    /// <param name="mode">Enforce or Shadow.</param>
    /// <param name="alwaysDenies">Whether the handler returns Deny whatever the request (the source generator sets it
    /// for handlers whose body is a constant Deny); <see cref="PolicyEngine.Analyze"/> relies on it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not defined.</exception>
    public PolicyRuleInfo(PolicyTrigger trigger, string pattern, string handlerName, int order, EnforcementMode mode, bool alwaysDenies)
    {
        AlwaysDenies = alwaysDenies;
        if (mode is not (EnforcementMode.Enforce or EnforcementMode.Shadow))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "A rule's mode is Enforce or Shadow.");
        }

        Mode = mode;
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(handlerName);
        Trigger = trigger;
        Pattern = pattern;
        HandlerName = handlerName;
        Order = order;
    }

    /// <summary>When the rule runs.</summary>
    public PolicyTrigger Trigger { get; }

    /// <summary>The glob pattern the key must match.</summary>
    public string Pattern { get; }

    /// <summary>The handler: <c>Type.Method</c> for compiled rules, the delegate's method or a helper name at run time.</summary>
    public string HandlerName { get; }

    /// <summary>Whether the rule's verdicts are enforced or only recorded (shadow).</summary>
    public EnforcementMode Mode { get; }

    /// <summary>Whether the rule refuses every operation it matches, whatever the request (a constant Deny).</summary>
    public bool AlwaysDenies { get; }

    /// <summary>Ordering key within a compiled set (lower runs first; ties keep declaration order).</summary>
    public int Order { get; }

    /// <inheritdoc />
    /// <remarks>Built once: audit entries and violations name the rule on every decision it makes.</remarks>
    public override string ToString() => _text ??= Mode == EnforcementMode.Shadow
        ? $"[{Trigger}(\"{Pattern}\")] {HandlerName} (shadow)"
        : $"[{Trigger}(\"{Pattern}\")] {HandlerName}";
}
