using System;
using System.Globalization;
using System.Threading;
using SochDb.Policy.Engine;
using SochDb.Policy.Matching;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>Runs <paramref name="handler"/> before writes to keys matching <paramref name="pattern"/>; it may deny or modify the value.</summary>
    /// <param name="pattern">A glob (DESIGN.md §3).</param>
    /// <param name="handler">The handler.</param>
    /// <param name="name">The name shown in violations and audit entries; default: the helper's name or <c>runtime#N</c>.</param>
    /// <returns>The registration; dispose it to remove the rule.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pattern"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="GlobPatternException"><paramref name="pattern"/> is not a valid glob; says where and why.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or blank.</exception>
    public PolicyRegistration BeforeWrite(string pattern, PolicyHandler handler, string? name = null) =>
        Register(PolicyTrigger.BeforeWrite, pattern, handler, name);

    /// <summary>Runs <paramref name="observer"/> after a write to a matching key is durable.</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?)"/>
    /// <param name="pattern">A glob (DESIGN.md §3).</param>
    /// <param name="observer">The observer.</param>
    /// <param name="name">The name shown in errors and audit entries.</param>
    public PolicyRegistration AfterWrite(string pattern, PolicyObserver observer, string? name = null) =>
        Register(PolicyTrigger.AfterWrite, pattern, observer, name);

    /// <summary>Runs <paramref name="handler"/> before reads of matching keys; it may deny.</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?)"/>
    public PolicyRegistration BeforeRead(string pattern, PolicyHandler handler, string? name = null) =>
        Register(PolicyTrigger.BeforeRead, pattern, handler, name);

    /// <summary>Runs <paramref name="handler"/> after reads of matching keys; it may deny (withhold) or modify (redact) the value.</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?)"/>
    public PolicyRegistration AfterRead(string pattern, PolicyHandler handler, string? name = null) =>
        Register(PolicyTrigger.AfterRead, pattern, handler, name);

    /// <summary>Runs <paramref name="handler"/> before deletes of matching keys; it may deny.</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?)"/>
    public PolicyRegistration BeforeDelete(string pattern, PolicyHandler handler, string? name = null) =>
        Register(PolicyTrigger.BeforeDelete, pattern, handler, name);

    /// <summary>Runs <paramref name="observer"/> after a delete of a matching key is durable.</summary>
    /// <inheritdoc cref="AfterWrite(string, PolicyObserver, string?)"/>
    public PolicyRegistration AfterDelete(string pattern, PolicyObserver observer, string? name = null) =>
        Register(PolicyTrigger.AfterDelete, pattern, observer, name);

    /// <summary>Registers a decision handler on <paramref name="trigger"/> (any trigger but AfterWrite and AfterDelete).</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?)"/>
    /// <param name="trigger">BeforeWrite, BeforeRead, AfterRead or BeforeDelete.</param>
    /// <param name="pattern">A glob (DESIGN.md §3).</param>
    /// <param name="handler">The handler.</param>
    /// <param name="name">The name shown in violations and audit entries.</param>
    /// <exception cref="ArgumentException"><paramref name="trigger"/> takes an observer, or is not defined.</exception>
    public PolicyRegistration On(PolicyTrigger trigger, string pattern, PolicyHandler handler, string? name = null)
    {
        if (trigger is PolicyTrigger.AfterWrite or PolicyTrigger.AfterDelete)
        {
            throw new ArgumentException(
                $"{trigger} handlers observe a committed change and return nothing: register a PolicyObserver with {trigger}(pattern, observer).",
                nameof(trigger));
        }

        return Register(trigger, pattern, handler, name);
    }

    /// <summary>
    /// Adds a token-bucket limit: at most <paramref name="maxPerMinute"/> operations a minute (bursts up to that many),
    /// per value of <paramref name="scope"/>. Checked before any handler; a refusal takes no token from other limits.
    /// </summary>
    /// <param name="operation">Read, Write, Delete or All.</param>
    /// <param name="maxPerMinute">Capacity and refill per minute; positive.</param>
    /// <param name="scope"><c>global</c>, <c>agent_id</c>, <c>session_id</c> or a custom context item name. Callers lacking the item share one bucket.</param>
    /// <returns>The registration; dispose it to remove the limit.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is not defined, or <paramref name="maxPerMinute"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="scope"/> is null, empty or blank.</exception>
    public RateLimitRegistration AddRateLimit(PolicyOperation operation, int maxPerMinute, string scope = RateLimitScopes.Global) =>
        AddRateLimit(new RateLimitRule(operation, maxPerMinute, scope));

    /// <summary>Adds a limit, naming the operation as the seed SDKs do: <c>read</c>, <c>write</c>, <c>delete</c> or <c>all</c>.</summary>
    /// <inheritdoc cref="AddRateLimit(PolicyOperation, int, string)"/>
    /// <exception cref="ArgumentException"><paramref name="operation"/> is not one of those names.</exception>
    public RateLimitRegistration AddRateLimit(string operation, int maxPerMinute, string scope = RateLimitScopes.Global) =>
        AddRateLimit(ParseOperation(operation), maxPerMinute, scope);

    /// <summary>Adds a limit described by <paramref name="limit"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="limit"/> is null.</exception>
    public RateLimitRegistration AddRateLimit(RateLimitRule limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        RateLimiting.RateLimitState state = _limiter.Add(limit);
        return new RateLimitRegistration(limit, _ => _limiter.Remove(state));
    }

    /// <summary>Number of rules registered at run time.</summary>
    public int RuntimeRuleCount => Volatile.Read(ref _rules).Count;

    internal RateLimiting.RateLimiter RateLimiter => _limiter;

    internal static PolicyOperation ParseOperation(string operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return operation.ToLowerInvariant() switch
        {
            "read" => PolicyOperation.Read,
            "write" => PolicyOperation.Write,
            "delete" => PolicyOperation.Delete,
            "all" => PolicyOperation.All,
            _ => throw new ArgumentException(
                $"Unknown operation \"{operation}\": expected \"read\", \"write\", \"delete\" or \"all\".", nameof(operation)),
        };
    }

    private void Unregister(RuntimeRule rule)
    {
        lock (_registrationLock)
        {
            Volatile.Write(ref _rules, _rules.Without(rule));
        }
    }

    private PolicyRegistration Register(PolicyTrigger trigger, string pattern, Delegate handler, string? name)
    {
        if (trigger is < PolicyTrigger.BeforeWrite or > PolicyTrigger.AfterDelete)
        {
            throw new ArgumentException($"Unknown trigger {trigger}.", nameof(trigger));
        }

        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(handler);
        if (name is not null && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A rule name must not be empty or blank (pass null for a default).", nameof(name));
        }

        GlobMatcher matcher = GlobMatcher.Compile(pattern);
        lock (_registrationLock)
        {
            long sequence = _nextSequence++;
            string handlerName = name ?? Policies.NameOf(handler) ?? "runtime#" + (sequence + 1).ToString(CultureInfo.InvariantCulture);
            var info = new PolicyRuleInfo(trigger, pattern, handlerName);
            var rule = new RuntimeRule(info, matcher, handler as PolicyHandler, handler as PolicyObserver, sequence);
            Volatile.Write(ref _rules, _rules.With(rule));
            return new PolicyRegistration(info, _ => Unregister(rule));
        }
    }
}
