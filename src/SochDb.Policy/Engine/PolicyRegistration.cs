using System;
using System.Collections.Generic;
using System.Threading;

namespace SochDb.Policy;

/// <summary>
/// A rule registered at run time. <see cref="Dispose"/> removes it from the engine atomically: an operation in flight
/// sees the table with the rule or the table without it, never half of one. Disposing twice does nothing.
/// </summary>
public sealed class PolicyRegistration : IDisposable
{
    private readonly Engine.RuntimeRule[] _rules;
    private Action<IReadOnlyList<Engine.RuntimeRule>>? _remove;

    internal PolicyRegistration(Engine.RuntimeRule[] rules, Action<IReadOnlyList<Engine.RuntimeRule>> remove)
    {
        _rules = rules;
        _remove = remove;
        var infos = new PolicyRuleInfo[rules.Length];
        for (int i = 0; i < rules.Length; i++)
        {
            infos[i] = rules[i].Info;
        }

        Rules = infos;
    }

    /// <summary>The registered rule (the first, for a group registered with <see cref="PolicyEngine.RegisterRules"/>).</summary>
    public PolicyRuleInfo Rule => Rules.Count > 0 ? Rules[0] : throw new InvalidOperationException("The registration holds no rule.");

    /// <summary>Every rule of the registration, in the order they run.</summary>
    public IReadOnlyList<PolicyRuleInfo> Rules { get; }

    /// <summary>Whether the rules are still registered (false once disposed or replaced).</summary>
    public bool IsActive => Volatile.Read(ref _remove) is not null;

    /// <summary>Removes the rules; later operations no longer run them. Idempotent.</summary>
    public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke(_rules);

    /// <summary>The registered rules as the engine holds them.</summary>
    internal Engine.RuntimeRule[] RuntimeRules => _rules;

    /// <summary>Marks the registration as removed without removing (the caller removes the rules in its own swap).</summary>
    internal Engine.RuntimeRule[]? Detach() => Interlocked.Exchange(ref _remove, null) is null ? null : _rules;

    /// <inheritdoc />
    public override string ToString() => Rules.Count == 1 ? Rules[0].ToString() : $"{Rules.Count} rules";
}

/// <summary>One rule for <see cref="PolicyEngine.RegisterRules"/>: a trigger, a pattern, and a handler (or, for AfterWrite
/// and AfterDelete, an observer).</summary>
/// <param name="Trigger">When the rule runs.</param>
/// <param name="Pattern">The glob the key must match.</param>
/// <param name="Handler">The decision handler (every trigger but AfterWrite and AfterDelete).</param>
/// <param name="Observer">The observer (AfterWrite and AfterDelete).</param>
/// <param name="Name">The name shown in violations and audit entries; null for a default.</param>
/// <param name="Mode">Enforce, or Shadow to record the rule's verdicts without applying them.</param>
public sealed record PolicyRuleDefinition(
    PolicyTrigger Trigger,
    string Pattern,
    PolicyHandler? Handler,
    PolicyObserver? Observer = null,
    string? Name = null,
    EnforcementMode Mode = EnforcementMode.Enforce);

/// <summary>
/// A rate limit added at run time. <see cref="Dispose"/> removes it (and its buckets) atomically; operations in flight
/// see all limits before or after the removal. Disposing twice does nothing.
/// </summary>
public sealed class RateLimitRegistration : IDisposable
{
    private Action<RateLimitRegistration>? _remove;

    internal RateLimitRegistration(RateLimitRule limit, Action<RateLimitRegistration> remove)
    {
        Limit = limit;
        _remove = remove;
    }

    /// <summary>The limit.</summary>
    public RateLimitRule Limit { get; }

    /// <summary>Whether the limit is still in force (false once disposed).</summary>
    public bool IsActive => Volatile.Read(ref _remove) is not null;

    /// <summary>Removes the limit. Idempotent.</summary>
    public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke(this);

    /// <inheritdoc />
    public override string ToString() => Limit.ToString();
}
