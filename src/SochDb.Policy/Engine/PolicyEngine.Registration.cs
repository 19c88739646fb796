using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using SochDb.Policy.Engine;
using SochDb.Policy.Matching;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Checks <paramref name="pattern"/> against the grammar the attributes, the registration methods and the analyzers
    /// share (<see href="https://github.com/sochdb/sochdb/blob/main/docs/semantics.md#glob-grammar">docs/semantics.md</see>),
    /// for patterns that come from configuration or users, before anything is registered.
    /// </summary>
    /// <param name="pattern">The glob pattern to check.</param>
    /// <returns>
    /// What is wrong with the pattern (position, length and reason), without throwing it; <see langword="null"/> when
    /// it is valid. Registering an invalid pattern throws the same exception.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="pattern"/> is null.</exception>
    public static GlobPatternException? ValidatePattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return SochDb.Policy.Glob.GlobParser.Validate(pattern) is { } error ? new GlobPatternException(pattern, error, nameof(pattern)) : null;
    }

    /// <summary>Runs <paramref name="handler"/> before writes to keys matching <paramref name="pattern"/>; it may deny or modify the value.</summary>
    /// <param name="pattern">A glob pattern (grammar: <see href="https://github.com/sochdb/sochdb/blob/main/docs/semantics.md#glob-grammar">docs/semantics.md</see>).</param>
    /// <param name="handler">The handler.</param>
    /// <param name="name">The name shown in violations and audit entries; default: the helper's name or <c>runtime#N</c>.</param>
    /// <param name="mode"><see cref="EnforcementMode.Shadow"/> to record the rule's verdicts without applying them.</param>
    /// <returns>The registration; dispose it to remove the rule.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pattern"/> or <paramref name="handler"/> is null.</exception>
    /// <exception cref="GlobPatternException"><paramref name="pattern"/> is not a valid glob; says where and why.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or blank.</exception>
    public PolicyRegistration BeforeWrite(string pattern, PolicyHandler handler, string? name = null, EnforcementMode mode = EnforcementMode.Enforce) =>
        Register(PolicyTrigger.BeforeWrite, pattern, handler, name, mode);

    /// <summary>Runs <paramref name="observer"/> after a write to a matching key is durable.</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?, EnforcementMode)"/>
    /// <param name="pattern">A glob pattern (grammar: <see href="https://github.com/sochdb/sochdb/blob/main/docs/semantics.md#glob-grammar">docs/semantics.md</see>).</param>
    /// <param name="observer">The observer.</param>
    /// <param name="name">The name shown in errors and audit entries.</param>
    public PolicyRegistration AfterWrite(string pattern, PolicyObserver observer, string? name = null) =>
        Register(PolicyTrigger.AfterWrite, pattern, observer, name, EnforcementMode.Enforce);

    /// <summary>Runs <paramref name="handler"/> before reads of matching keys; it may deny.</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?, EnforcementMode)"/>
    public PolicyRegistration BeforeRead(string pattern, PolicyHandler handler, string? name = null, EnforcementMode mode = EnforcementMode.Enforce) =>
        Register(PolicyTrigger.BeforeRead, pattern, handler, name, mode);

    /// <summary>Runs <paramref name="handler"/> after reads of matching keys; it may deny (withhold) or modify (redact) the value.</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?, EnforcementMode)"/>
    public PolicyRegistration AfterRead(string pattern, PolicyHandler handler, string? name = null, EnforcementMode mode = EnforcementMode.Enforce) =>
        Register(PolicyTrigger.AfterRead, pattern, handler, name, mode);

    /// <summary>Runs <paramref name="handler"/> before deletes of matching keys; it may deny.</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?, EnforcementMode)"/>
    public PolicyRegistration BeforeDelete(string pattern, PolicyHandler handler, string? name = null, EnforcementMode mode = EnforcementMode.Enforce) =>
        Register(PolicyTrigger.BeforeDelete, pattern, handler, name, mode);

    /// <summary>Runs <paramref name="observer"/> after a delete of a matching key is durable.</summary>
    /// <inheritdoc cref="AfterWrite(string, PolicyObserver, string?)"/>
    public PolicyRegistration AfterDelete(string pattern, PolicyObserver observer, string? name = null) =>
        Register(PolicyTrigger.AfterDelete, pattern, observer, name, EnforcementMode.Enforce);

    /// <summary>Registers a decision handler on <paramref name="trigger"/> (any trigger but AfterWrite and AfterDelete).</summary>
    /// <inheritdoc cref="BeforeWrite(string, PolicyHandler, string?, EnforcementMode)"/>
    /// <param name="trigger">BeforeWrite, BeforeRead, AfterRead or BeforeDelete.</param>
    /// <param name="pattern">A glob pattern (grammar: <see href="https://github.com/sochdb/sochdb/blob/main/docs/semantics.md#glob-grammar">docs/semantics.md</see>).</param>
    /// <param name="handler">The handler.</param>
    /// <param name="name">The name shown in violations and audit entries.</param>
    /// <param name="mode"><see cref="EnforcementMode.Shadow"/> to record the rule's verdicts without applying them.</param>
    /// <exception cref="ArgumentException"><paramref name="trigger"/> takes an observer, or is not defined.</exception>
    public PolicyRegistration On(PolicyTrigger trigger, string pattern, PolicyHandler handler, string? name = null,
        EnforcementMode mode = EnforcementMode.Enforce)
    {
        if (trigger is PolicyTrigger.AfterWrite or PolicyTrigger.AfterDelete)
        {
            throw new ArgumentException(
                $"{trigger} handlers observe a committed change and return nothing: register a PolicyObserver with {trigger}(pattern, observer).",
                nameof(trigger));
        }

        return Register(trigger, pattern, handler, name, mode);
    }

    /// <summary>
    /// Adds a token-bucket limit per value of <paramref name="scope"/>: the bucket holds <paramref name="maxPerMinute"/>
    /// tokens, starts full and refills at <paramref name="maxPerMinute"/> a minute. So a burst of up to
    /// <paramref name="maxPerMinute"/> operations passes at once, then the refill rate applies: in any window of one
    /// minute up to about twice <paramref name="maxPerMinute"/> can pass (the full bucket plus a minute of refill), and
    /// over longer periods the average is <paramref name="maxPerMinute"/> a minute. Checked before any handler; a refusal
    /// takes no token from other limits.
    /// </summary>
    /// <param name="operation">Read, Write, Delete or All.</param>
    /// <param name="maxPerMinute">Capacity and refill per minute; positive.</param>
    /// <param name="scope"><c>global</c>, <c>agent_id</c>, <c>session_id</c> or <c>item:NAME</c> for a custom context item (<see cref="RateLimitRule.GlobalScope"/> and its siblings). Callers lacking the item share one bucket.</param>
    /// <returns>The registration; dispose it to remove the limit.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is not defined, or <paramref name="maxPerMinute"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="scope"/> is not one of those (the message names the scope and the valid ones).</exception>
    public PolicyRegistration AddRateLimit(PolicyOperation operation, int maxPerMinute, string scope = RateLimitRule.GlobalScope) =>
        AddRateLimit(new RateLimitRule(operation, maxPerMinute, scope));

    /// <summary>Adds a limit, naming the operation as the seed SDKs do: <c>read</c>, <c>write</c>, <c>delete</c> or <c>all</c>.</summary>
    /// <inheritdoc cref="AddRateLimit(PolicyOperation, int, string)"/>
    /// <exception cref="ArgumentException"><paramref name="operation"/> is not one of those names.</exception>
    public PolicyRegistration AddRateLimit(string operation, int maxPerMinute, string scope = RateLimitRule.GlobalScope) =>
        AddRateLimit(ParseOperation(operation), maxPerMinute, scope);

    /// <summary>Adds a limit described by <paramref name="limit"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="limit"/> is null.</exception>
    public PolicyRegistration AddRateLimit(RateLimitRule limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        RateLimiting.RateLimitState state = _limiter.Add(limit);
        return new PolicyRegistration(limit, () => _limiter.Remove(state));
    }

    /// <summary>Number of rules registered at run time.</summary>
    public int RuntimeRuleCount => Volatile.Read(ref _rules).Count;

    internal RateLimiting.RateLimiter RateLimiter => _limiter;

    private int _triggerTableBuilds;

    internal static PolicyOperation ParseOperation(string operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return AuditNames.TryParseOperation(operation, out PolicyOperation parsed) ? parsed
            : throw new ArgumentException(
                $"Unknown operation \"{operation}\": expected \"read\", \"write\", \"delete\" or \"all\".", nameof(operation));
    }

    private PolicyRegistration Register(PolicyTrigger trigger, string pattern, Delegate handler, string? name, EnforcementMode mode)
    {
        RuntimeRule[] rules = Prepare(new[] { Definition(trigger, pattern, handler, name, mode) }, nameof(pattern), compiled: null);
        return Publish(rules, replacing: null);
    }

    /// <summary>
    /// Registers every rule of <paramref name="rules"/>, and removes those of <paramref name="replacing"/>, in one atomic
    /// swap: an operation sees the old set or the new one, never a mix (what a configuration reload needs). Every pattern
    /// is checked first; when one is invalid nothing changes.
    /// </summary>
    /// <param name="rules">The rules, in the order they run (after compiled sets and earlier run-time rules).</param>
    /// <param name="replacing">A registration whose rules leave in the same swap (it is disposed); null for none.</param>
    /// <returns>One registration for the whole group; dispose it to remove every rule of the group at once.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> or one of its elements is null.</exception>
    /// <exception cref="GlobPatternException">A pattern is invalid; the message names the rule's index.</exception>
    /// <exception cref="ArgumentException">A rule's trigger, handler or name is invalid (the message names the rule's index), or
    /// <paramref name="replacing"/> added a rate limit, not rules.</exception>
    public PolicyRegistration RegisterRules(IReadOnlyList<PolicyRuleInfo> rules, PolicyRegistration? replacing = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var definitions = new (PolicyTrigger, string, Delegate, string?, EnforcementMode)[rules.Count];
        for (int i = 0; i < rules.Count; i++)
        {
            PolicyRuleInfo rule = rules[i] ?? throw new ArgumentNullException(nameof(rules), $"Rule {i} is null.");
            Delegate handler = (Delegate?)rule.Handler ?? rule.Observer
                ?? throw new ArgumentException(
                    $"Rule {i} ({rule.Trigger} \"{rule.Pattern}\") has no handler: build a rule to register with a PolicyHandler, or a PolicyObserver for AfterWrite and AfterDelete.",
                    nameof(rules));

            bool observes = rule.Trigger is PolicyTrigger.AfterWrite or PolicyTrigger.AfterDelete;
            if (observes != (rule.Observer is not null))
            {
                throw new ArgumentException(
                    $"Rule {i} ({rule.Trigger} \"{rule.Pattern}\"): {rule.Trigger} takes {(observes ? "an Observer" : "a Handler")}.", nameof(rules));
            }

            definitions[i] = Definition(rule.Trigger, rule.Pattern, handler, rule.GivenName, rule.Mode);
        }

        // A reload usually keeps most patterns: the rules it replaces lend their compiled patterns.
        Dictionary<string, RuntimeRule>? compiled = null;
        if (replacing is not null)
        {
            if (replacing.Limits.Count > 0)
            {
                throw new ArgumentException("The registration to replace added a rate limit, not rules; dispose it instead.", nameof(replacing));
            }

            compiled = new Dictionary<string, RuntimeRule>(StringComparer.Ordinal);
            foreach (RuntimeRule old in replacing.RuntimeRules)
            {
                compiled.TryAdd(old.Info.Pattern, old);
            }
        }

        return Publish(Prepare(definitions, nameof(rules), compiled), replacing);
    }

    private static (PolicyTrigger, string, Delegate, string?, EnforcementMode) Definition(
        PolicyTrigger trigger, string pattern, Delegate handler, string? name, EnforcementMode mode) => (trigger, pattern, handler, name, mode);

    /// <summary>
    /// Checks and compiles every rule before anything changes (outside the registration lock: only the sequence numbers
    /// are taken under it). A pattern found in <paramref name="compiled"/> is not compiled again.
    /// </summary>
    private RuntimeRule[] Prepare((PolicyTrigger Trigger, string Pattern, Delegate Handler, string? Name, EnforcementMode Mode)[] definitions,
        string paramName, Dictionary<string, RuntimeRule>? compiled)
    {
        var matchers = new GlobMatcher?[definitions.Length];
        var samePattern = new RuntimeRule?[definitions.Length];
        for (int i = 0; i < definitions.Length; i++)
        {
            (PolicyTrigger trigger, string pattern, Delegate handler, string? name, EnforcementMode mode) = definitions[i];
            string where = definitions.Length == 1 ? "" : $"Rule {i}: ";
            if (trigger is < PolicyTrigger.BeforeWrite or > PolicyTrigger.AfterDelete)
            {
                throw new ArgumentException($"{where}Unknown trigger {trigger}.", definitions.Length == 1 ? "trigger" : paramName);
            }

            if (mode is not (EnforcementMode.Enforce or EnforcementMode.Shadow))
            {
                throw new ArgumentOutOfRangeException(definitions.Length == 1 ? "mode" : paramName, mode, $"{where}A rule's mode is Enforce or Shadow.");
            }

            ArgumentNullException.ThrowIfNull(pattern, definitions.Length == 1 ? "pattern" : paramName);
            ArgumentNullException.ThrowIfNull(handler, definitions.Length == 1 ? "handler" : paramName);
            if (name is not null && string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException($"{where}A rule name must not be empty or blank (pass null for a default).", definitions.Length == 1 ? "name" : paramName);
            }

            if (compiled is not null && compiled.TryGetValue(pattern, out RuntimeRule? same))
            {
                samePattern[i] = same;
                continue;
            }

            try
            {
                matchers[i] = GlobMatcher.Compile(pattern);
            }
            catch (GlobPatternException error) when (definitions.Length > 1)
            {
                throw new GlobPatternException(error, $"Rule {i}: ");
            }
        }

        long first;
        lock (_registrationLock)
        {
            first = _nextSequence;
            _nextSequence += definitions.Length;
        }

        var rules = new RuntimeRule[definitions.Length];
        var planner = new RulePlanner();
        for (int i = 0; i < definitions.Length; i++)
        {
            (PolicyTrigger trigger, string pattern, Delegate handler, string? name, EnforcementMode mode) = definitions[i];
            long sequence = first + i;
            string handlerName = name ?? Policies.NameOf(handler) ?? "runtime#" + (sequence + 1).ToString(CultureInfo.InvariantCulture);
            var info = new PolicyRuleInfo(trigger, pattern, handlerName, 0, mode);
            rules[i] = samePattern[i] is { } same
                ? new RuntimeRule(info, same, handler as PolicyHandler, handler as PolicyObserver, sequence)
                : new RuntimeRule(info, matchers[i]!, handler as PolicyHandler, handler as PolicyObserver, sequence, planner);
        }

        return rules;
    }

    /// <summary>
    /// Adds <paramref name="rules"/> (and removes <paramref name="replacing"/>'s) in one swap of the table, building each
    /// changed trigger's dispatch tree once. Operations never take the lock: they read the table before or after the swap.
    /// </summary>
    private PolicyRegistration Publish(RuntimeRule[] rules, PolicyRegistration? replacing)
    {
        var registration = new PolicyRegistration(rules, Unregister);
        lock (_registrationLock)
        {
            RuntimeRule[] old = replacing?.Detach() ?? [];
            Swap(old, rules);
        }

        return registration;
    }

    private void Unregister(IReadOnlyList<RuntimeRule> rules)
    {
        lock (_registrationLock)
        {
            Swap(rules, []);
        }
    }

    /// <summary>Builds the next table and publishes it; the caller holds the registration lock.</summary>
    private void Swap(IReadOnlyCollection<RuntimeRule> removing, IReadOnlyCollection<RuntimeRule> adding)
    {
        RuleTable table = _rules.Replace(removing, adding, out int builds);
        _triggerTableBuilds += builds;
        Volatile.Write(ref _rules, table);
    }

    /// <summary>How many trigger dispatch tables registrations have built so far (one per changed trigger and swap).</summary>
    internal int TriggerTableBuilds
    {
        get
        {
            lock (_registrationLock)
            {
                return _triggerTableBuilds;
            }
        }
    }
}
