using System;
using System.Buffers;
using System.Diagnostics;
using System.Threading;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;
using SochDb.Policy.Engine;
using SochDb.Policy.RateLimiting;

namespace SochDb.Policy;

/// <summary>
/// Guards an <see cref="IKeyValueStore"/>: every Put, Get, Delete, Write (batch) and Scan, and their asynchronous twins,
/// goes through rate limits, before-handlers, the store, and after-handlers, and each outcome is counted and (when
/// enabled) audited; see docs/semantics.md. Compiled policy sets run first, in the order given, then rules registered
/// at run time, in registration order. The engine offers no unguarded path to the store.
/// </summary>
/// <remarks>
/// Thread-safe. Registration may happen while operations run: rules live in an immutable table that registration
/// replaces atomically, so operations never lock and never see a half-registered rule. The engine does not own the
/// store and never disposes it. The engine judges and writes its own copy of the key (and of the value, when a
/// handler reads it), so a caller that changes its buffers during a call cannot make the store receive bytes other
/// than those judged. With a reused <see cref="PolicyContext"/>, an allowed operation allocates nothing beyond what the
/// store itself allocates (with audit on, once the audit ring has gone round once).
/// </remarks>
public sealed partial class PolicyEngine
{
    /// <summary>Keys (and judged values) up to this length are copied to the stack; longer ones to a pooled buffer, cleared on return.</summary>
    private const int StackCopyLength = 256;

    /// <summary>How many guarded operations may be nested on one thread (a handler calling the engine) by default.</summary>
    public const int DefaultMaxNestingDepth = 8;

    // Guarded operations in progress on this thread inside handlers: a handler that calls the engine nests one level.
    [ThreadStatic]
    private static int t_nesting;

    private readonly IKeyValueStore _store;
    private readonly CompiledPolicySet[] _compiled;
    private readonly PolicyClock _clock;
    private readonly RateLimiter _limiter;
    private readonly IRateLimitBackend? _limitBackend;
    private readonly RateLimitBackendFailure _limitBackendFailure;
    private readonly int _maxNestingDepth;
    private readonly bool _shadowEngine;
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

    /// <summary>Creates an engine with options (clock, meter factory, shared rate-limit backend).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> or <paramref name="compiled"/> is null.</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="compiled"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (see <see cref="PolicyEngineOptions"/>).</exception>
    public PolicyEngine(IKeyValueStore store, PolicyEngineOptions? options, params CompiledPolicySet[] compiled)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(compiled);
        options ??= new PolicyEngineOptions();
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
        if (options.RateLimitBackendFailure is < RateLimitBackendFailure.FailClosed or > RateLimitBackendFailure.LocalFallback)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RateLimitBackendFailure,
                "RateLimitBackendFailure is FailClosed, FailOpen or LocalFallback.");
        }

        if (options.Mode is not (EnforcementMode.Enforce or EnforcementMode.Shadow))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Mode, "Mode is Enforce or Shadow.");
        }

        if (options.MaxNestingDepth is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxNestingDepth,
                "MaxNestingDepth is between 1 and 64.");
        }

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
        _limitBackend = options.RateLimitBackend;
        _limitBackendFailure = options.RateLimitBackendFailure;
        _maxNestingDepth = options.MaxNestingDepth;
        _shadowEngine = options.Mode == EnforcementMode.Shadow;
        _metrics = PolicyMetrics.Create(options.MeterFactory);
        _approvalStoreOption = options.ApprovalStore;
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

    /// <summary>The compiled sets, in the order they run.</summary>
    public System.Collections.Generic.IReadOnlyList<CompiledPolicySet> CompiledSets => _compiled;

    /// <summary>Writes <paramref name="value"/> under <paramref name="key"/> if every policy allows.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="RateLimitExceededException">A write limit has no token.</exception>
    /// <exception cref="PolicyViolationException">A BeforeWrite handler denied or failed, or the operation was nested
    /// too deep, or the rate-limit backend was unavailable (fail closed); nothing was written.</exception>
    /// <exception cref="PolicyHandlerException">An AfterWrite handler threw; the write was committed.</exception>
    /// <remarks>An exception of the store reaches the caller unchanged, after being counted and audited as failed.</remarks>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext? context = null)
    {
        KeyRules.Validate(key);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        byte[]? rentedKey = null;
        Span<byte> keyBuffer = key.Length <= StackCopyLength ? stackalloc byte[key.Length] : (rentedKey = ArrayPool<byte>.Shared.Rent(key.Length));
        key.CopyTo(keyBuffer);
        ReadOnlySpan<byte> ownKey = keyBuffer[..key.Length];
        byte[]? rentedValue = null;
        // The judged copy of the value (made only when handlers read it) lives on the stack when it is small.
        Span<byte> valueBuffer = value.Length <= StackCopyLength ? stackalloc byte[value.Length] : default;
        Activity? activity = PolicyTracing.Start(PolicyOperation.Write);
        try
        {
            CheckAdmission(PolicyOperation.Write, ownKey, ctx);
            string? limitNote = AcquireOrThrow(LimitDemand.Single(PolicyOperation.Write), ownKey, ctx);
            RuleTable rules = Volatile.Read(ref _rules);
            int triggers = _compiledTriggers | rules.TriggerMask;
            WriteAdmission admission = default;
            scoped ReadOnlySpan<byte> judged = value;
            if (Runs(triggers, PolicyTrigger.BeforeWrite))
            {
                // Handlers read the value: judge and write one private copy of it.
                if (value.Length > StackCopyLength)
                {
                    valueBuffer = rentedValue = ArrayPool<byte>.Shared.Rent(value.Length);
                }

                value.CopyTo(valueBuffer);
                judged = valueBuffer[..value.Length];
                admission = DecideWrite(ownKey, judged, ctx, rules);
            }

            ReadOnlySpan<byte> written = admission.ModifiedValue ?? judged;
            try
            {
                _store.Put(ownKey, written);
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Write, ownKey, ctx, exception);
                throw;
            }

            CompleteWrite(ownKey, written, ctx, rules, triggers, admission, limitNote);
        }
        finally
        {
            activity?.Dispose();
            ReturnBuffer(rentedKey);
            ReturnBuffer(rentedValue);
        }
    }

    /// <summary>Reads <paramref name="key"/> if every policy allows: null when absent, else the value after AfterRead handlers.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="RateLimitExceededException">A read limit has no token.</exception>
    /// <exception cref="PolicyViolationException">A BeforeRead or AfterRead handler denied or failed (the value is withheld).</exception>
    /// <remarks>An exception of the store reaches the caller unchanged, after being counted and audited as failed.</remarks>
    public byte[]? Get(ReadOnlySpan<byte> key, PolicyContext? context = null)
    {
        KeyRules.Validate(key);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        byte[]? rentedKey = null;
        Span<byte> keyBuffer = key.Length <= StackCopyLength ? stackalloc byte[key.Length] : (rentedKey = ArrayPool<byte>.Shared.Rent(key.Length));
        key.CopyTo(keyBuffer);
        ReadOnlySpan<byte> ownKey = keyBuffer[..key.Length];
        Activity? activity = PolicyTracing.Start(PolicyOperation.Read);
        try
        {
            CheckAdmission(PolicyOperation.Read, ownKey, ctx);
            string? limitNote = AcquireOrThrow(LimitDemand.Single(PolicyOperation.Read), ownKey, ctx);
            Admission admission = Admit(PolicyTrigger.BeforeRead, ownKey, ctx, limitNote);

            byte[]? value;
            try
            {
                value = _store.TryGet(ownKey, out byte[]? found) ? found : null;
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Read, ownKey, ctx, exception);
                throw;
            }

            return CompleteRead(ownKey, value, ctx, admission);
        }
        finally
        {
            activity?.Dispose();
            ReturnBuffer(rentedKey);
        }
    }

    /// <summary>Deletes <paramref name="key"/> if every policy allows; returns whether it was present.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="RateLimitExceededException">A delete limit has no token.</exception>
    /// <exception cref="PolicyViolationException">A BeforeDelete handler denied or failed; nothing was deleted.</exception>
    /// <exception cref="PolicyHandlerException">An AfterDelete handler threw; the delete was committed.</exception>
    /// <remarks>An exception of the store reaches the caller unchanged, after being counted and audited as failed.</remarks>
    public bool Delete(ReadOnlySpan<byte> key, PolicyContext? context = null)
    {
        KeyRules.Validate(key);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        byte[]? rentedKey = null;
        Span<byte> keyBuffer = key.Length <= StackCopyLength ? stackalloc byte[key.Length] : (rentedKey = ArrayPool<byte>.Shared.Rent(key.Length));
        key.CopyTo(keyBuffer);
        ReadOnlySpan<byte> ownKey = keyBuffer[..key.Length];
        Activity? activity = PolicyTracing.Start(PolicyOperation.Delete);
        try
        {
            CheckAdmission(PolicyOperation.Delete, ownKey, ctx);
            string? limitNote = AcquireOrThrow(LimitDemand.Single(PolicyOperation.Delete), ownKey, ctx);
            Admission admission = Admit(PolicyTrigger.BeforeDelete, ownKey, ctx, limitNote);

            bool removed;
            try
            {
                removed = _store.Delete(ownKey);
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Delete, ownKey, ctx, exception);
                throw;
            }

            CompleteDelete(ownKey, removed, ctx, admission);
            return removed;
        }
        finally
        {
            activity?.Dispose();
            ReturnBuffer(rentedKey);
        }
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

    /// <summary>What the BeforeWrite handlers of one write decided when they allowed it.</summary>
    private readonly struct WriteAdmission
    {
        public WriteAdmission(byte[]? modifiedValue, PolicyRuleInfo? modifyingRule, ShadowNote shadow)
        {
            ModifiedValue = modifiedValue;
            ModifyingRule = modifyingRule;
            Shadow = shadow;
        }

        public byte[]? ModifiedValue { get; }

        public PolicyRuleInfo? ModifyingRule { get; }

        public ShadowNote Shadow { get; }
    }

    /// <summary>What shadow rules would have done to one operation (nothing of it was applied).</summary>
    private readonly struct ShadowNote
    {
        public ShadowNote(PolicyRuleInfo? wouldDeny, string? reason, PolicyRuleInfo? wouldModify)
        {
            WouldDeny = wouldDeny;
            Reason = reason;
            WouldModify = wouldModify;
        }

        public PolicyRuleInfo? WouldDeny { get; }

        public string? Reason { get; }

        public PolicyRuleInfo? WouldModify { get; }

        public bool IsEmpty => WouldDeny is null && WouldModify is null;

        public static ShadowNote Of(in PolicyEvaluation evaluation) =>
            new(evaluation.WouldDenyRule, evaluation.WouldDenyReason, evaluation.WouldModifyRule);

        /// <summary>This note, completed by a later evaluation of the same operation (the first would-be denial wins).</summary>
        public ShadowNote Then(in PolicyEvaluation later) => WouldDeny is not null
            ? new ShadowNote(WouldDeny, Reason, WouldModify ?? later.WouldModifyRule)
            : new ShadowNote(later.WouldDenyRule, later.WouldDenyReason, WouldModify ?? later.WouldModifyRule);
    }

    /// <summary>Runs the BeforeWrite handlers; throws (audited) when they refuse.</summary>
    private WriteAdmission DecideWrite(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context, RuleTable rules)
    {
        var before = new PolicyEvaluation(PolicyTrigger.BeforeWrite, key, value, context);
        Exception? failure = RunDecisions(ref before, rules);
        if (failure is not null || before.IsDenied)
        {
            throw Refuse(ref before, PolicyOperation.Write, failure);
        }

        if (before.RequiresApproval)
        {
            RequireApprovalOrThrow(ref before, PolicyOperation.Write, value);
        }

        return new WriteAdmission(before.ModifiedValue, before.ModifyingRule, ShadowNote.Of(before));
    }

    /// <summary>Runs a trigger that cannot modify (BeforeRead, BeforeDelete); throws (audited) when it refuses.</summary>
    private ShadowNote DecideOrThrow(PolicyTrigger trigger, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context, RuleTable rules)
    {
        var before = new PolicyEvaluation(trigger, key, value, context);
        Exception? failure = RunDecisions(ref before, rules);
        if (failure is not null || before.IsDenied)
        {
            throw Refuse(ref before, trigger.Operation(), failure);
        }

        if (before.RequiresApproval)
        {
            RequireApprovalOrThrow(ref before, trigger.Operation(), default);
        }

        return ShadowNote.Of(before);
    }

    /// <summary>After a write is durable: AfterWrite observers, then the outcome is recorded.</summary>
    private void CompleteWrite(ReadOnlySpan<byte> key, ReadOnlySpan<byte> written, PolicyContext context, RuleTable rules,
        int triggers, in WriteAdmission admission, string? limitNote)
    {
        if (Runs(triggers, PolicyTrigger.AfterWrite))
        {
            var after = new PolicyEvaluation(PolicyTrigger.AfterWrite, key, written, context);
            Observe(ref after, rules, PolicyOperation.Write);
        }

        RecordOutcome(PolicyOperation.Write, key, context, admission.ModifyingRule, admission.Shadow, limitNote);
    }

    /// <summary>
    /// Records the outcome of an operation that went through: WouldDeny when a shadow rule would have refused it,
    /// Modified when an enforced rule changed the value, else Allowed (with the notes of shadow modifications and
    /// unchecked limits, if any).
    /// </summary>
    private void RecordOutcome(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, PolicyRuleInfo? modifyingRule,
        in ShadowNote shadow, string? limitNote)
    {
        if (shadow.IsEmpty)
        {
            if (modifyingRule is not null)
            {
                Record(operation, key, context, AuditResult.Modified, modifyingRule, limitNote);
            }
            else
            {
                RecordAllowedOrNoted(operation, key, context, limitNote);
            }

            return;
        }

        string? wouldModify = shadow.WouldModify is null ? null : $"shadow: {shadow.WouldModify} would modify the value (not applied)";
        if (shadow.WouldDeny is not null)
        {
            string reason = $"shadow: would be refused{(shadow.Reason is null ? "" : ": " + shadow.Reason)}; the operation proceeded";
            Record(operation, key, context, AuditResult.WouldDeny, shadow.WouldDeny, Join(reason, wouldModify, limitNote));
            return;
        }

        Record(operation, key, context, modifyingRule is null ? AuditResult.Allowed : AuditResult.Modified, modifyingRule,
            Join(wouldModify, limitNote));
    }

    private static string? Join(string? first, string? second, string? third = null)
    {
        string? joined = first is null ? second : second is null ? first : first + "; " + second;
        return joined is null ? third : third is null ? joined : joined + "; " + third;
    }

    /// <summary>
    /// A read or delete that its limits and before-handlers let through: the rule table it was judged against (the
    /// after-handlers use the same one), the note of limits not checked as configured, and what shadow rules said.
    /// </summary>
    private readonly struct Admission
    {
        public Admission(RuleTable rules, int triggers, string? limitNote, ShadowNote shadow)
        {
            Rules = rules;
            Triggers = triggers;
            LimitNote = limitNote;
            Shadow = shadow;
        }

        public RuleTable Rules { get; }

        public int Triggers { get; }

        public string? LimitNote { get; }

        public ShadowNote Shadow { get; }
    }

    /// <summary>Runs the before-handlers of a read or delete (its tokens already taken); throws (audited) when they refuse.</summary>
    private Admission Admit(PolicyTrigger before, ReadOnlySpan<byte> key, PolicyContext context, string? limitNote)
    {
        RuleTable rules = Volatile.Read(ref _rules);
        int triggers = _compiledTriggers | rules.TriggerMask;
        ShadowNote shadow = Runs(triggers, before) ? DecideOrThrow(before, key, default, context, rules) : default;
        return new Admission(rules, triggers, limitNote, shadow);
    }

    /// <summary>After the store answered a read: AfterRead handlers chain, then the outcome is recorded.</summary>
    private byte[]? CompleteRead(ReadOnlySpan<byte> key, byte[]? value, PolicyContext context, in Admission admission)
    {
        if (value is null || !Runs(admission.Triggers, PolicyTrigger.AfterRead))
        {
            RecordOutcome(PolicyOperation.Read, key, context, null, admission.Shadow, admission.LimitNote);
            return value;
        }

        var after = new PolicyEvaluation(PolicyTrigger.AfterRead, key, value, context);
        Exception? failure = RunDecisions(ref after, admission.Rules);
        if (failure is not null || after.IsDenied)
        {
            throw Refuse(ref after, PolicyOperation.Read, failure);
        }

        RecordOutcome(PolicyOperation.Read, key, context, after.ModifyingRule, admission.Shadow.Then(after), admission.LimitNote);

        // A copy: the caller may change what it gets; the handler's array (often shared) must not change.
        return after.IsModified ? after.Value.ToArray() : value;
    }

    /// <summary>After a delete is durable: AfterDelete observers (when the key was present), then the outcome.</summary>
    private void CompleteDelete(ReadOnlySpan<byte> key, bool removed, PolicyContext context, in Admission admission)
    {
        if (removed && Runs(admission.Triggers, PolicyTrigger.AfterDelete))
        {
            var after = new PolicyEvaluation(PolicyTrigger.AfterDelete, key, default, context);
            Observe(ref after, admission.Rules, PolicyOperation.Delete);
        }

        RecordOutcome(PolicyOperation.Delete, key, context, null, admission.Shadow, admission.LimitNote);
    }

    /// <summary>
    /// Runs the decision handlers of <paramref name="evaluation"/>'s trigger: compiled sets in order, then run-time rules,
    /// stopping at the first denial. Returns the exception of a handler that threw (the caller fails closed), else null.
    /// </summary>
    private Exception? RunDecisions(ref PolicyEvaluation evaluation, RuleTable rules)
    {
        // One look-up of the thread's counter (a thread-static access is not free); the ref is valid for this thread.
        ref int nesting = ref t_nesting;
        nesting++;
        evaluation.ShadowAll = _shadowEngine;
        try
        {
            foreach (CompiledPolicySet set in _compiled)
            {
                if (set.Handles(evaluation.Trigger))
                {
                    try
                    {
                        set.Evaluate(ref evaluation);
                    }
                    catch (Exception exception) when (evaluation.CurrentIsShadow)
                    {
                        // A shadow handler that throws would have refused: recorded, and the operation goes on
                        // (the rest of this set is skipped; it can only be shadow rules or rules it cannot resume).
                        evaluation.NoteShadowFailure(exception);
                    }

                    if (evaluation.IsDenied && !evaluation.IsExplaining)
                    {
                        return null;
                    }
                }
            }

            TriggerRules runtime = rules[evaluation.Trigger];
            if (!runtime.IsEmpty)
            {
                runtime.Evaluate(ref evaluation);
            }

            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
        finally
        {
            nesting--;
        }
    }

    /// <summary>
    /// Records a refusal by <paramref name="evaluation"/> (a denial, a fault, or the handler exception
    /// <paramref name="failure"/>) and returns the exception to throw.
    /// </summary>
    private PolicyViolationException Refuse(ref PolicyEvaluation evaluation, PolicyOperation operation, Exception? failure)
    {
        if (failure is not null)
        {
            PolicyRuleInfo? culprit = evaluation.CurrentRule;
            Record(operation, evaluation.Key, evaluation.Context, AuditResult.Failed, culprit,
                $"{failure.GetType().Name}: {failure.Message}");
            return PolicyViolationException.Create(PolicyRefusalCause.HandlerFailed, operation, evaluation.Key.ToArray(),
                evaluation.Trigger, culprit, "the handler threw " + failure.GetType().Name, evaluation.Context.AgentId, failure, null);
        }

        AuditResult result = evaluation.IsFaulted ? AuditResult.Failed : AuditResult.Denied;
        Record(operation, evaluation.Key, evaluation.Context, result, evaluation.DecidingRule, evaluation.Reason);
        return PolicyViolationException.Create(evaluation.IsFaulted ? PolicyRefusalCause.UndefinedVerdict : PolicyRefusalCause.Denied,
            operation, evaluation.Key.ToArray(), evaluation.Trigger, evaluation.DecidingRule, evaluation.Reason, evaluation.Context.AgentId,
            null, null);
    }

    /// <summary>Runs AfterWrite/AfterDelete observers; a throw is audited as failed and reported as committed.</summary>
    private void Observe(ref PolicyEvaluation evaluation, RuleTable rules, PolicyOperation operation)
    {
        ref int nesting = ref t_nesting;
        nesting++;
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
        finally
        {
            nesting--;
        }
    }

    /// <summary>
    /// The first step of every guarded operation: refuses it while a failing durable audit log refuses operations
    /// (FailClosed), and when it was started from inside handlers nested deeper than the engine allows (a handler that
    /// calls the engine on its own key would otherwise recurse until the process dies of a stack overflow).
    /// </summary>
    private void CheckAdmission(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context)
    {
        ThrowIfAuditRefuses(operation, key, context);
        int nesting = t_nesting;
        if (nesting < _maxNestingDepth)
        {
            return;
        }

        string reason = $"guarded operations nested {nesting} deep inside handlers (the limit is {_maxNestingDepth}); " +
            "a handler that calls the engine must not recurse without end";
        Record(operation, key, context, AuditResult.Failed, null, reason);
        throw PolicyViolationException.Create(PolicyRefusalCause.NestingTooDeep, operation, key.ToArray(), null, null, reason, context.AgentId, null,
            $"{PolicyViolationException.Verb(operation)} of \"{System.Text.Encoding.UTF8.GetString(key)}\" refused: {reason}.");
    }

    /// <summary>A store failure: counted and audited as failed with the exception's type; the caller rethrows it.</summary>
    private void RecordStoreFailure(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, Exception exception, string? detail = null)
    {
        string reason = exception is OperationCanceledException
            ? $"{exception.GetType().Name}: cancelled in the store{detail}"
            : $"store failed with {exception.GetType().Name}: {exception.Message}{detail}";
        Record(operation, key, context, AuditResult.Failed, null, reason);
    }

    private static bool Runs(int triggers, PolicyTrigger trigger) => (triggers & (1 << (int)trigger)) != 0;

    private static void ReturnBuffer(byte[]? buffer)
    {
        if (buffer is not null)
        {
            // Cleared: the pool is shared with the rest of the process and the bytes may be a secret.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    private void RecordAllowedOrNoted(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, string? note)
    {
        if (note is null)
        {
            RecordAllowed(operation, key, context);
        }
        else
        {
            Record(operation, key, context, AuditResult.Allowed, null, note);
        }
    }

    /// <summary>The allowed outcome: counted, and audited when audit is on. The common path, kept small.</summary>
    private void RecordAllowed(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context)
    {
        _metrics.RecordDecision(operation, AuditResult.Allowed);
        PolicyTracing.Tag(operation, AuditResult.Allowed, null, null);
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

        PolicyTracing.Tag(operation, result, ruleText ?? rule?.ToString(), reason);

        Volatile.Read(ref _recorder)?.Record(_clock.GetUtcTicks(), operation, key, context, result, ruleText ?? rule?.ToString(), reason);
    }
}
