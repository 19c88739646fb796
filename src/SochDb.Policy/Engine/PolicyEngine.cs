using System;
using System.Diagnostics;
using System.Threading;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;
using SochDb.Policy.Engine;
using SochDb.Policy.RateLimiting;
using SochDb.Policy.CompilerServices;

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
/// store and never disposes it. The engine judges and writes its own copy of the key and of the value, so a caller that
/// changes its buffers during a call cannot make the store receive bytes other than those judged. Each operation runs
/// one core routine, shared by its synchronous and asynchronous entry points, through the stages admit, limits, decide,
/// store, observe and record (docs/architecture.md); a synchronous call runs no asynchronous state machine. With a reused <see cref="PolicyContext"/>, an allowed operation allocates nothing beyond what the
/// store itself allocates (with audit on, once the audit ring has gone round once).
/// </remarks>
public sealed partial class PolicyEngine
{
    /// <summary>How many guarded operations may be nested on one thread (a handler calling the engine) by default.</summary>
    public const int DefaultMaxNestingDepth = 8;

    private readonly IKeyValueStore _store;
    private readonly CompiledPolicySet[] _compiled;
    private readonly PolicyClock _clock;
    private readonly RateLimiter _limiter;
    private readonly RateLimitBackend? _limitBackend;
    private readonly FailureMode _limitBackendFailure;
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
        if (options.RateLimitBackendFailure is < FailureMode.FailClosed or > FailureMode.LocalFallback)
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
    /// <exception cref="ObjectDisposedException">The engine was disposed; nothing was written.</exception>
    /// <exception cref="PolicyViolationException">A write limit has no token, a BeforeWrite handler denied, failed or
    /// requires approval, the operation was nested too deep, or the decision log or the rate-limit backend was
    /// unavailable (fail closed); nothing was written. <see cref="PolicyViolationException.Cause"/> says which.</exception>
    /// <exception cref="PolicyHandlerException">An AfterWrite handler threw; the write was committed.</exception>
    /// <remarks>An exception of the store reaches the caller unchanged, after being counted and audited as failed.</remarks>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext? context = null) =>
        RunSynchronously(PolicyOperation.Write, key, value, context);

    /// <summary>Reads <paramref name="key"/> if every policy allows: null when absent, else the value after AfterRead handlers.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <exception cref="PolicyViolationException">A read limit has no token, a BeforeRead handler requires approval, a
    /// BeforeRead or AfterRead handler denied or failed (the value is withheld), or the operation could not be admitted
    /// (<see cref="PolicyViolationException.Cause"/> says which).</exception>
    /// <remarks>An exception of the store reaches the caller unchanged, after being counted and audited as failed.</remarks>
    public byte[]? Get(ReadOnlySpan<byte> key, PolicyContext? context = null) =>
        RunSynchronously(PolicyOperation.Read, key, default, context).Value;

    /// <summary>Deletes <paramref name="key"/> if every policy allows; returns whether it was present.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed; nothing was deleted.</exception>
    /// <exception cref="PolicyViolationException">A delete limit has no token, a BeforeDelete handler denied, failed or
    /// requires approval, or the operation could not be admitted (<see cref="PolicyViolationException.Cause"/> says
    /// which); nothing was deleted.</exception>
    /// <exception cref="PolicyHandlerException">An AfterDelete handler threw; the delete was committed.</exception>
    /// <remarks>An exception of the store reaches the caller unchanged, after being counted and audited as failed.</remarks>
    public bool Delete(ReadOnlySpan<byte> key, PolicyContext? context = null) =>
        RunSynchronously(PolicyOperation.Delete, key, default, context).Removed;

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
}
