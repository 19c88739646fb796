using System;

namespace SochDb.Policy;

/// <summary>
/// One rule: which trigger, which pattern, which handler. Named in audit entries and violations. The engine describes
/// the rules it holds with it (compiled and registered); built with a <see cref="PolicyHandler"/> or a
/// <see cref="PolicyObserver"/>, it is also a rule to register with <see cref="PolicyEngine.RegisterRules"/>.
/// </summary>
public sealed class PolicyRuleInfo
{
    private string? _text;

    /// <summary>A rule to register with <see cref="PolicyEngine.RegisterRules"/>: a handler deciding on every trigger but AfterWrite and AfterDelete.</summary>
    /// <param name="trigger">When the rule runs (not AfterWrite or AfterDelete: those take an observer).</param>
    /// <param name="pattern">The glob the key must match.</param>
    /// <param name="handler">The decision handler.</param>
    /// <param name="name">The name shown in violations and audit entries; null for a default (the handler's method, or <c>runtime#N</c>).</param>
    /// <param name="mode">Enforce, or Shadow to record the rule's verdicts without applying them.</param>
    /// <exception cref="ArgumentNullException"><paramref name="pattern"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not defined.</exception>
    public PolicyRuleInfo(PolicyTrigger trigger, string pattern, PolicyHandler handler, string? name = null, EnforcementMode mode = EnforcementMode.Enforce)
        : this(trigger, pattern, name ?? NameOf(handler), 0, mode)
    {
        Handler = handler;
        GivenName = name;
    }

    /// <summary>A rule to register with <see cref="PolicyEngine.RegisterRules"/>: an observer of committed AfterWrite or AfterDelete changes.</summary>
    /// <param name="trigger">AfterWrite or AfterDelete.</param>
    /// <param name="pattern">The glob the key must match.</param>
    /// <param name="observer">The observer.</param>
    /// <param name="name">The name shown in violations and audit entries; null for a default (the observer's method, or <c>runtime#N</c>).</param>
    /// <param name="mode">Enforce, or Shadow.</param>
    /// <exception cref="ArgumentNullException"><paramref name="pattern"/> or <paramref name="observer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not defined.</exception>
    public PolicyRuleInfo(PolicyTrigger trigger, string pattern, PolicyObserver observer, string? name = null, EnforcementMode mode = EnforcementMode.Enforce)
        : this(trigger, pattern, name ?? NameOf(observer), 0, mode)
    {
        Observer = observer;
        GivenName = name;
    }

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

    /// <summary>The handler of a rule built to register (<see cref="PolicyEngine.RegisterRules"/>); null otherwise.</summary>
    public PolicyHandler? Handler { get; }

    /// <summary>The observer of a rule built to register (<see cref="PolicyEngine.RegisterRules"/>); null otherwise.</summary>
    public PolicyObserver? Observer { get; }

    /// <summary>The name given when the rule was built to register; null asks the engine for a default.</summary>
    internal string? GivenName { get; }

    private static string NameOf(Delegate handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Policies.NameOf(handler) ?? "runtime";
    }

    /// <inheritdoc />
    /// <remarks>Built once: audit entries and violations name the rule on every decision it makes.</remarks>
    public override string ToString() => _text ??= Mode == EnforcementMode.Shadow
        ? $"[{Trigger}(\"{Pattern}\")] {HandlerName} (shadow)"
        : $"[{Trigger}(\"{Pattern}\")] {HandlerName}";
}
