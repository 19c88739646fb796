using System;
using System.Collections.Generic;
using System.Threading;

namespace SochDb.Policy;

/// <summary>
/// What a run-time registration added: rules (<c>engine.BeforeWrite(...)</c>
/// and its siblings, <see cref="PolicyEngine.RegisterRules"/>) or a rate limit (<see cref="PolicyEngine.AddRateLimit(RateLimitRule)"/>).
/// <see cref="Dispose"/> removes it from the engine atomically: an operation in flight sees the engine with it or
/// without it, never half of it. Disposing twice does nothing.
/// </summary>
public sealed class PolicyRegistration : IDisposable
{
    private static readonly RateLimitRule[] NoLimits = [];

    private readonly Engine.RuntimeRule[] _rules;
    private Action? _remove;

    /// <summary>A registration of rules; <paramref name="remove"/> takes them out of the engine.</summary>
    internal PolicyRegistration(Engine.RuntimeRule[] rules, Action<IReadOnlyList<Engine.RuntimeRule>> remove)
    {
        _rules = rules;
        _remove = () => remove(rules);
        var infos = new PolicyRuleInfo[rules.Length];
        for (int i = 0; i < rules.Length; i++)
        {
            infos[i] = rules[i].Info;
        }

        Rules = infos;
        Limits = NoLimits;
    }

    /// <summary>A registration of one rate limit; <paramref name="remove"/> takes it (and its buckets) out of the engine.</summary>
    internal PolicyRegistration(RateLimitRule limit, Action remove)
    {
        _rules = [];
        _remove = remove;
        Rules = [];
        Limits = [limit];
    }

    /// <summary>The registered rule (the first, for a group registered with <see cref="PolicyEngine.RegisterRules"/>).</summary>
    /// <exception cref="InvalidOperationException">The registration holds no rule (it added a rate limit).</exception>
    public PolicyRuleInfo Rule => Rules.Count > 0 ? Rules[0] : throw new InvalidOperationException("The registration holds no rule: it added a rate limit (see Limits).");

    /// <summary>Every rule of the registration, in the order they run; empty for a rate limit.</summary>
    public IReadOnlyList<PolicyRuleInfo> Rules { get; }

    /// <summary>The rate limit the registration added.</summary>
    /// <exception cref="InvalidOperationException">The registration holds no limit (it added rules).</exception>
    public RateLimitRule Limit => Limits.Count > 0 ? Limits[0] : throw new InvalidOperationException("The registration holds no rate limit: it added rules (see Rules).");

    /// <summary>The rate limit the registration added (one), or empty for rules.</summary>
    public IReadOnlyList<RateLimitRule> Limits { get; }

    /// <summary>Whether the rules or the limit are still in force (false once disposed or replaced).</summary>
    public bool IsActive => Volatile.Read(ref _remove) is not null;

    /// <summary>Removes the rules or the limit; later operations no longer run or count them. Idempotent.</summary>
    public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();

    /// <summary>The registered rules as the engine holds them.</summary>
    internal Engine.RuntimeRule[] RuntimeRules => _rules;

    /// <summary>Marks the registration as removed without removing (the caller removes the rules in its own swap).</summary>
    internal Engine.RuntimeRule[]? Detach() => Interlocked.Exchange(ref _remove, null) is null ? null : _rules;

    /// <inheritdoc />
    public override string ToString() => Limits.Count == 1 ? Limits[0].ToString()! : Rules.Count == 1 ? Rules[0].ToString() : $"{Rules.Count} rules";
}

