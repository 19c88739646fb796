using System;
using System.Threading;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;
using SochDb.Policy.Engine;
using SochDb.Policy.RateLimiting;

namespace SochDb.Policy;

/// <summary>
/// Guards an <see cref="IKeyValueStore"/>: every Put, Get, Delete and Scan goes through rate limits, before-handlers,
/// the store, and after-handlers, in the order of DESIGN.md §5, and each outcome is counted and (when enabled) audited.
/// Compiled policy sets run first, in the order given, then handlers registered at run time, in registration order.
/// </summary>
/// <remarks>
/// Thread-safe. Registration may happen while operations run: rules live in an immutable table that registration
/// replaces atomically, so operations never lock and never see a half-registered rule. The engine does not own the
/// store and never disposes it. With a reused <see cref="PolicyContext"/>, an allowed operation allocates nothing
/// beyond what the store itself allocates (with audit on, once the audit ring has gone round once).
/// </remarks>
public sealed partial class PolicyEngine
{
    private readonly IKeyValueStore _store;
    private readonly CompiledPolicySet[] _compiled;
    private readonly PolicyClock _clock;
    private readonly RateLimiter _limiter;
    private readonly PolicyMetrics _metrics;
    private readonly Lock _registrationLock = new();

    // Bit 1 << trigger: some compiled set handles the trigger (fixed at construction).
    private readonly int _compiledTriggers;

    private RuleTable _rules = RuleTable.Empty;
    private long _nextSequence;

    /// <summary>Creates an engine over <paramref name="store"/> running <paramref name="compiled"/> sets first, in order.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> or <paramref name="compiled"/> is null.</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="compiled"/> is null.</exception>
    public PolicyEngine(IKeyValueStore store, params CompiledPolicySet[] compiled)
        : this(store, null, compiled)
    {
    }

    /// <summary>Creates an engine with options (clock, meter factory).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> or <paramref name="compiled"/> is null.</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="compiled"/> is null.</exception>
    public PolicyEngine(IKeyValueStore store, PolicyEngineOptions? options, params CompiledPolicySet[] compiled)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(compiled);
        options ??= new PolicyEngineOptions();
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
        for (int i = 0; i < compiled.Length; i++)
        {
            if (compiled[i] is null)
            {
                throw new ArgumentException($"Compiled policy set at index {i} is null.", nameof(compiled));
            }
        }

        _store = store;
        _compiled = (CompiledPolicySet[])compiled.Clone();
        _clock = PolicyClock.For(options.TimeProvider);
        _limiter = new RateLimiter(options.TimeProvider);
        _metrics = PolicyMetrics.Create(options.MeterFactory);
        foreach (CompiledPolicySet set in _compiled)
        {
            foreach (RateLimitRule limit in set.RateLimits)
            {
                _limiter.Add(limit);
            }

            for (var trigger = PolicyTrigger.BeforeWrite; trigger <= PolicyTrigger.AfterDelete; trigger++)
            {
                if (set.Handles(trigger))
                {
                    _compiledTriggers |= 1 << (int)trigger;
                }
            }
        }
    }

    /// <summary>The guarded store (not owned: the engine never disposes it).</summary>
    public IKeyValueStore Store => _store;

    /// <summary>The compiled sets, in the order they run.</summary>
    public System.Collections.Generic.IReadOnlyList<CompiledPolicySet> CompiledSets => _compiled;

    /// <summary>Writes <paramref name="value"/> under <paramref name="key"/> if every policy allows.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="RateLimitExceededException">A write limit has no token.</exception>
    /// <exception cref="PolicyViolationException">A BeforeWrite handler denied or failed; nothing was written.</exception>
    /// <exception cref="PolicyHandlerException">An AfterWrite handler threw; the write was committed.</exception>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext? context = null)
    {
        KeyRules.Validate(key);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        ThrowIfAuditRefuses(PolicyOperation.Write, PolicyTrigger.BeforeWrite, key, ctx);
        if (_limiter.Applies(PolicyOperation.Write))
        {
            AcquireOrThrow(PolicyOperation.Write, key, ctx);
        }

        RuleTable rules = Volatile.Read(ref _rules);
        int triggers = _compiledTriggers | rules.TriggerMask;
        bool modified = false;
        PolicyRuleInfo? modifyingRule = null;
        if (Runs(triggers, PolicyTrigger.BeforeWrite))
        {
            var before = new PolicyEvaluation(PolicyTrigger.BeforeWrite, key, value, ctx);
            Decide(ref before, rules, PolicyOperation.Write, throwOnDeny: true);
            value = before.Value;
            modified = before.IsModified;
            modifyingRule = before.ModifyingRule;
        }

        _store.Put(key, value);
        if (Runs(triggers, PolicyTrigger.AfterWrite))
        {
            var after = new PolicyEvaluation(PolicyTrigger.AfterWrite, key, value, ctx);
            Observe(ref after, rules, PolicyOperation.Write);
        }

        if (modified)
        {
            Record(PolicyOperation.Write, key, ctx, AuditResult.Modified, modifyingRule, null);
        }
        else
        {
            RecordAllowed(PolicyOperation.Write, key, ctx);
        }
    }

    /// <summary>Reads <paramref name="key"/> if every policy allows: null when absent, else the value after AfterRead handlers.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="RateLimitExceededException">A read limit has no token.</exception>
    /// <exception cref="PolicyViolationException">A BeforeRead or AfterRead handler denied or failed.</exception>
    public byte[]? Get(ReadOnlySpan<byte> key, PolicyContext? context = null)
    {
        KeyRules.Validate(key);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        ThrowIfAuditRefuses(PolicyOperation.Read, PolicyTrigger.BeforeRead, key, ctx);
        if (_limiter.Applies(PolicyOperation.Read))
        {
            AcquireOrThrow(PolicyOperation.Read, key, ctx);
        }

        RuleTable rules = Volatile.Read(ref _rules);
        int triggers = _compiledTriggers | rules.TriggerMask;
        if (Runs(triggers, PolicyTrigger.BeforeRead))
        {
            var before = new PolicyEvaluation(PolicyTrigger.BeforeRead, key, default, ctx);
            Decide(ref before, rules, PolicyOperation.Read, throwOnDeny: true);
        }

        if (!_store.TryGet(key, out byte[]? value))
        {
            RecordAllowed(PolicyOperation.Read, key, ctx);
            return null;
        }

        if (!Runs(triggers, PolicyTrigger.AfterRead))
        {
            RecordAllowed(PolicyOperation.Read, key, ctx);
            return value;
        }

        var after = new PolicyEvaluation(PolicyTrigger.AfterRead, key, value, ctx);
        Decide(ref after, rules, PolicyOperation.Read, throwOnDeny: true);
        if (after.IsModified)
        {
            Record(PolicyOperation.Read, key, ctx, AuditResult.Modified, after.ModifyingRule, null);

            // A copy: the caller may change what it gets; the handler's array (often shared) must not change.
            return after.Value.ToArray();
        }

        RecordAllowed(PolicyOperation.Read, key, ctx);
        return value;
    }

    /// <summary>Deletes <paramref name="key"/> if every policy allows; returns whether it was present.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="RateLimitExceededException">A delete limit has no token.</exception>
    /// <exception cref="PolicyViolationException">A BeforeDelete handler denied or failed; nothing was deleted.</exception>
    /// <exception cref="PolicyHandlerException">An AfterDelete handler threw; the delete was committed.</exception>
    public bool Delete(ReadOnlySpan<byte> key, PolicyContext? context = null)
    {
        KeyRules.Validate(key);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        ThrowIfAuditRefuses(PolicyOperation.Delete, PolicyTrigger.BeforeDelete, key, ctx);
        if (_limiter.Applies(PolicyOperation.Delete))
        {
            AcquireOrThrow(PolicyOperation.Delete, key, ctx);
        }

        RuleTable rules = Volatile.Read(ref _rules);
        int triggers = _compiledTriggers | rules.TriggerMask;
        if (Runs(triggers, PolicyTrigger.BeforeDelete))
        {
            var before = new PolicyEvaluation(PolicyTrigger.BeforeDelete, key, default, ctx);
            Decide(ref before, rules, PolicyOperation.Delete, throwOnDeny: true);
        }

        bool removed = _store.Delete(key);
        if (removed && Runs(triggers, PolicyTrigger.AfterDelete))
        {
            var after = new PolicyEvaluation(PolicyTrigger.AfterDelete, key, default, ctx);
            Observe(ref after, rules, PolicyOperation.Delete);
        }

        RecordAllowed(PolicyOperation.Delete, key, ctx);
        return removed;
    }

    /// <summary>Writes the UTF-8 <paramref name="value"/> under the UTF-8 <paramref name="key"/>.</summary>
    /// <inheritdoc cref="Put(ReadOnlySpan{byte}, ReadOnlySpan{byte}, PolicyContext?)"/>
    public void Put(string key, string value, PolicyContext? context = null) =>
        Put(KeyRules.Encode(key), KeyRules.EncodeValue(value), context);

    /// <summary>Writes <paramref name="value"/> under the UTF-8 <paramref name="key"/>.</summary>
    /// <inheritdoc cref="Put(ReadOnlySpan{byte}, ReadOnlySpan{byte}, PolicyContext?)"/>
    public void Put(string key, ReadOnlySpan<byte> value, PolicyContext? context = null) =>
        Put(KeyRules.Encode(key), value, context);

    /// <summary>Reads the UTF-8 <paramref name="key"/>.</summary>
    /// <inheritdoc cref="Get(ReadOnlySpan{byte}, PolicyContext?)"/>
    public byte[]? Get(string key, PolicyContext? context = null) => Get(KeyRules.Encode(key), context);

    /// <summary>Reads the UTF-8 <paramref name="key"/> and decodes the value as UTF-8 (null when absent).</summary>
    /// <inheritdoc cref="Get(ReadOnlySpan{byte}, PolicyContext?)"/>
    public string? GetString(string key, PolicyContext? context = null)
    {
        byte[]? value = Get(KeyRules.Encode(key), context);
        return value is null ? null : System.Text.Encoding.UTF8.GetString(value);
    }

    /// <summary>Deletes the UTF-8 <paramref name="key"/>.</summary>
    /// <inheritdoc cref="Delete(ReadOnlySpan{byte}, PolicyContext?)"/>
    public bool Delete(string key, PolicyContext? context = null) => Delete(KeyRules.Encode(key), context);

    /// <summary>
    /// Runs the decision handlers of <paramref name="evaluation"/>'s trigger: compiled sets in order, then run-time rules.
    /// A denial is audited and, when <paramref name="throwOnDeny"/>, thrown; returns false for a denial otherwise.
    /// A handler that throws, or returns a decision its trigger cannot take, fails closed: audited as failed and thrown.
    /// </summary>
    private bool Decide(ref PolicyEvaluation evaluation, RuleTable rules, PolicyOperation operation, bool throwOnDeny)
    {
        try
        {
            foreach (CompiledPolicySet set in _compiled)
            {
                if (set.Handles(evaluation.Trigger))
                {
                    set.Evaluate(ref evaluation);
                    if (evaluation.IsDenied)
                    {
                        break;
                    }
                }
            }

            if (!evaluation.IsDenied)
            {
                TriggerRules runtime = rules[evaluation.Trigger];
                if (!runtime.IsEmpty)
                {
                    runtime.Evaluate(ref evaluation);
                }
            }
        }
        catch (Exception exception)
        {
            PolicyRuleInfo? culprit = evaluation.CurrentRule;
            Record(operation, evaluation.Key, evaluation.Context, AuditResult.Failed, culprit,
                $"{exception.GetType().Name}: {exception.Message}");
            throw new PolicyViolationException(operation, evaluation.Key, evaluation.Trigger, culprit,
                "the handler threw " + exception.GetType().Name, evaluation.Context.AgentId, exception);
        }

        if (!evaluation.IsDenied)
        {
            return true;
        }

        AuditResult result = evaluation.IsFaulted ? AuditResult.Failed : AuditResult.Denied;
        Record(operation, evaluation.Key, evaluation.Context, result, evaluation.DecidingRule, evaluation.Reason);
        if (throwOnDeny || evaluation.IsFaulted)
        {
            throw new PolicyViolationException(operation, evaluation.Key, evaluation.Trigger, evaluation.DecidingRule,
                evaluation.Reason, evaluation.Context.AgentId);
        }

        return false;
    }

    /// <summary>Runs AfterWrite/AfterDelete observers; a throw is audited as failed and reported as committed.</summary>
    private void Observe(ref PolicyEvaluation evaluation, RuleTable rules, PolicyOperation operation)
    {
        try
        {
            foreach (CompiledPolicySet set in _compiled)
            {
                if (set.Handles(evaluation.Trigger))
                {
                    set.Evaluate(ref evaluation);
                }
            }

            TriggerRules runtime = rules[evaluation.Trigger];
            if (!runtime.IsEmpty)
            {
                runtime.Observe(ref evaluation);
            }
        }
        catch (Exception exception)
        {
            PolicyRuleInfo? culprit = evaluation.CurrentRule;
            Record(operation, evaluation.Key, evaluation.Context, AuditResult.Failed, culprit,
                $"committed, then the handler threw {exception.GetType().Name}: {exception.Message}");
            throw new PolicyHandlerException(operation, evaluation.Key, culprit, evaluation.Context.AgentId, exception);
        }
    }

    private void AcquireOrThrow(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context)
    {
        if (_limiter.TryAcquire(operation, context, out RateLimitRefusal refusal))
        {
            return;
        }

        string detail = RateLimitExceededException.DescribeLimit(refusal.Rule, refusal.ScopeValue, refusal.RetryAfter);
        Record(operation, key, context, AuditResult.RateLimited, null, detail, refusal.Rule.ToString());
        throw new RateLimitExceededException(operation, key, refusal.Rule, refusal.ScopeValue, refusal.RetryAfter, context.AgentId);
    }

    private static bool Runs(int triggers, PolicyTrigger trigger) => (triggers & (1 << (int)trigger)) != 0;

    /// <summary>The allowed outcome: counted, and audited when audit is on. The common path, kept small.</summary>
    private void RecordAllowed(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context)
    {
        _metrics.RecordDecision(operation, AuditResult.Allowed);
        if (Volatile.Read(ref _recorder) is { } recorder)
        {
            recorder.Record(_clock.GetUtcTicks(), operation, key, context, AuditResult.Allowed, null, null);
        }
    }

    private void Record(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, AuditResult result,
        PolicyRuleInfo? rule, string? reason, string? ruleText = null, bool countDecision = true)
    {
        if (countDecision)
        {
            _metrics.RecordDecision(operation, result);
        }

        Volatile.Read(ref _recorder)?.Record(_clock.GetUtcTicks(), operation, key, context, result, ruleText ?? rule?.ToString(), reason);
    }
}
