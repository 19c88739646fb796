using System;
using System.Threading;

namespace SochDb.Policy;

/// <summary>
/// A rule registered at run time. <see cref="Dispose"/> removes it from the engine atomically: an operation in flight
/// sees the table with the rule or the table without it, never half of one. Disposing twice does nothing.
/// </summary>
public sealed class PolicyRegistration : IDisposable
{
    private Action<PolicyRegistration>? _remove;

    internal PolicyRegistration(PolicyRuleInfo rule, Action<PolicyRegistration> remove)
    {
        Rule = rule;
        _remove = remove;
    }

    /// <summary>The registered rule: trigger, pattern and name.</summary>
    public PolicyRuleInfo Rule { get; }

    /// <summary>Whether the rule is still registered (false once disposed).</summary>
    public bool IsActive => Volatile.Read(ref _remove) is not null;

    /// <summary>Removes the rule; later operations no longer run it. Idempotent.</summary>
    public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke(this);

    /// <inheritdoc />
    public override string ToString() => Rule.ToString();
}

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
