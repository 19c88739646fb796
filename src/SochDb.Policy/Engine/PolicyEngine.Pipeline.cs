using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;
using SochDb.Policy.Engine;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy;

/// <summary>
/// The one routine that runs every single-key operation (Put, Get, Delete), for the synchronous and the asynchronous
/// entry points alike, and the stages it is made of, each written once and run in this order:
/// <list type="number">
/// <item><b>admit</b>: the engine is not disposed, the call is not nested too deep inside handlers, the decision log can record it;</item>
/// <item><b>limits</b>: every applicable rate limit gives a token (a shared backend is awaited by the asynchronous entry points);</item>
/// <item><b>decide</b>: the before-handlers give one <see cref="DecisionOutcome"/>, which a refusal throws;</item>
/// <item><b>store</b>: the one call to the store (awaited by the asynchronous entry points);</item>
/// <item><b>observe</b>: after-handlers (AfterRead decides again on the value read; AfterWrite and AfterDelete observe);</item>
/// <item><b>record</b>: the outcome is counted, tagged on the span and audited.</item>
/// </list>
/// The stages are ordinary methods over one <see cref="Operation"/> value, and one driver (<see cref="Proceed"/>) runs
/// them in order. It is not <c>async</c>: a synchronous call runs every stage to the end on the caller's stack, with no
/// state machine. Only the asynchronous entry points can meet a stage that has to wait (a store call or a shared
/// rate-limit backend that did not complete at once); that stage parks what it waits for in the operation and returns,
/// and the one continuation (<see cref="ContinueAsync"/>) awaits it and calls the same driver again, which resumes at
/// the next stage. An asynchronous call whose store completes synchronously (in-memory, SQLite) never reaches it and
/// allocates nothing.
/// </summary>
public sealed partial class PolicyEngine
{
    // Operations admitted and not yet finished (disposal waits for them); nonzero once disposal has begun.
    private int _inFlight;
    private int _closing;

    /// <summary>What a single-key operation returns: the value read, or whether the key was present for a delete.</summary>
    private readonly record struct OperationResult(byte[]? Value, bool Removed);

    /// <summary>The stages of a single-key operation, in the order they run; <see cref="Operation.Next"/> is the next one.</summary>
    private enum Stage : byte
    {
        Admit,
        Limits,
        Decide,
        Store,
        Observe,
        Record,
    }

    /// <summary>
    /// One single-key operation on its way through the stages: what it is, where it is, and what the stages before found.
    /// A synchronous call keeps it on its stack; an asynchronous one that has to wait moves it into the continuation.
    /// </summary>
    private struct Operation
    {
        public Operation(PolicyOperation kind, PolicyContext context, OperationScratch thread, bool async)
        {
            this = default; // one block of zeros rather than a store per field
            Kind = kind;
            Context = context;
            Thread = thread;
            Async = async;
        }

        public readonly PolicyOperation Kind;
        public readonly PolicyContext Context;

        /// <summary>True for the asynchronous entry points: the limit backend and the store are called asynchronously.</summary>
        public readonly bool Async;

        /// <summary>The state of the thread the stages run on (handler nesting); renewed after a wait.</summary>
        public OperationScratch Thread;

        public Stage Next;
        public bool Admitted;
        public Activity? Span;
        public string? LimitNote;
        public RuleTable? Rules;
        public int Triggers;
        public DecisionOutcome Outcome;

        /// <summary>The recorder whose durable log commits a write's entry in the store's transaction, or null.</summary>
        public AuditRecorder? WithData;

        public byte[]? Read;
        public bool Removed;

        /// <summary>
        /// What the stage before <see cref="Next"/> waits for (asynchronous entry points only): the limits' note
        /// (<c>Task&lt;string?&gt;</c>), or the store call (<c>Task</c>, <c>Task&lt;byte[]?&gt;</c>, <c>Task&lt;bool&gt;</c> by operation).
        /// A task, one field wide, so that the operation a synchronous call keeps on its stack stays small; converting a
        /// pending call costs nothing beside the continuation it needs anyway.
        /// </summary>
        public Task? Pending;

        public readonly OperationResult Result
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => new(Read, Removed);
        }
    }

    /// <summary>A synchronous Put, Get or Delete: validated, copied into the thread's scratch, run to the end here.</summary>
    private OperationResult RunSynchronously(PolicyOperation kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext? context)
    {
        KeyRules.Validate(key);
        OperationScratch thread = OperationScratch.Current;
        var operation = new Operation(kind, context ?? PolicyContext.Empty, thread, async: false);
        OwnedBytes ownKey = OwnedBytes.ForSyncCall(thread, key, value, out OwnedBytes ownValue);
        try
        {
            bool finished = Proceed(ref operation, in ownKey, in ownValue, CancellationToken.None);
            Debug.Assert(finished, "a synchronous operation never waits");
            return operation.Result;
        }
        finally
        {
            Finish(ref operation, in ownKey, in ownValue);
        }
    }

    /// <summary>
    /// An asynchronous Put, Get or Delete (validated and not cancelled): copied into one pooled array, run by the same
    /// driver; when a stage has to wait, the continuation takes the operation over.
    /// </summary>
    private ValueTask<OperationResult> RunAsynchronously(PolicyOperation kind, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value,
        PolicyContext? context, CancellationToken cancellationToken)
    {
        var operation = new Operation(kind, context ?? PolicyContext.Empty, OperationScratch.Current, async: true);
        OwnedBytes ownKey = OwnedBytes.ForAsyncCall(key.Span, value.Span, out OwnedBytes ownValue);
        bool finished = true;
        try
        {
            finished = Proceed(ref operation, in ownKey, in ownValue, cancellationToken);
        }
        catch (Exception exception)
        {
            // An asynchronous entry point reports through what it returns, as an async method would (cancellation included).
            return Rethrow(ExceptionDispatchInfo.Capture(exception));
        }
        finally
        {
            if (finished)
            {
                Finish(ref operation, in ownKey, in ownValue);
            }
        }

        if (finished)
        {
            return new ValueTask<OperationResult>(operation.Result);
        }

        ValueTask<OperationResult> continuation = ContinueAsync(operation, ownKey, ownValue, cancellationToken);
        if (operation.Span is { } span)
        {
            // The span stays current in the continuation (which captured it); the caller's flow gets its own back.
            Activity.Current = span.Parent;
        }

        return continuation;
    }

    /// <summary>A failure of an asynchronous entry point, reported through the returned task as an async method reports it.</summary>
    private static async ValueTask<OperationResult> Rethrow(ExceptionDispatchInfo failure)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        failure.Throw();
        return default;
    }

    /// <summary>
    /// The one continuation of an operation whose stage had to wait: awaits what the stage parked, then runs the same
    /// driver from the next stage, as often as stages wait. Releases the operation when it ends.
    /// </summary>
    private async ValueTask<OperationResult> ContinueAsync(Operation operation, OwnedBytes key, OwnedBytes value, CancellationToken cancellationToken)
    {
        bool finished = false;
        try
        {
            while (!finished)
            {
                Task pending = operation.Pending!;
                operation.Pending = null;
                if (operation.Next == Stage.Decide)
                {
                    operation.LimitNote = await ((Task<string?>)pending).ConfigureAwait(false);
                }
                else
                {
                    try
                    {
                        switch (operation.Kind)
                        {
                            case PolicyOperation.Read:
                                operation.Read = await ((Task<byte[]?>)pending).ConfigureAwait(false);
                                break;
                            case PolicyOperation.Delete:
                                operation.Removed = await ((Task<bool>)pending).ConfigureAwait(false);
                                break;
                            default:
                                await pending.ConfigureAwait(false);
                                break;
                        }
                    }
                    catch (Exception exception)
                    {
                        RecordStoreFailure(operation.Kind, key.Span, operation.Context, exception);
                        throw;
                    }
                }

                operation.Thread = OperationScratch.Current;
                finished = Proceed(ref operation, in key, in value, cancellationToken);
            }

            return operation.Result;
        }
        finally
        {
            Finish(ref operation, in key, in value);
        }
    }

    /// <summary>
    /// The driver: runs the stages in order from <see cref="Operation.Next"/>. Returns true when the operation is done, or
    /// false when a stage has to wait: it parked what it waits for in <paramref name="operation"/> and set
    /// <see cref="Operation.Next"/> to the stage after it.
    /// </summary>
    private bool Proceed(ref Operation operation, in OwnedBytes key, in OwnedBytes value, CancellationToken cancellationToken)
    {
        switch (operation.Next)
        {
            case Stage.Admit:
                if (PolicyTracing.Start(operation.Kind) is { } span)
                {
                    operation.Span = span; // written only when set: a reference stored in the operation costs a write barrier
                }

                Admit(operation.Kind, key.Span, operation.Context, operation.Thread);
                operation.Admitted = true;
                goto case Stage.Limits;
            case Stage.Limits:
                if (!TakeLimits(ref operation, in key, cancellationToken))
                {
                    return false;
                }

                goto case Stage.Decide;
            case Stage.Decide:
                DecideBefore(ref operation, key.Span, value.Span);
                goto case Stage.Store;
            case Stage.Store:
                if (!CallStore(ref operation, in key, in value, cancellationToken))
                {
                    return false;
                }

                goto case Stage.Observe;
            case Stage.Observe:
                if ((operation.Triggers & AfterTriggers) != 0)
                {
                    ObserveAfter(ref operation, key.Span, in value);
                }

                goto default;
            default:
                if (operation.WithData is null)
                {
                    Record(operation.Kind, key.Span, operation.Context, in operation.Outcome);
                }

                return true;
        }
    }

    /// <summary>The end of an operation, on whatever thread it ends: the span, the in-flight count, the copies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Finish(ref Operation operation, in OwnedBytes key, in OwnedBytes value)
    {
        operation.Span?.Dispose();
        if (operation.Admitted)
        {
            Leave();
        }

        value.Release();
        key.Release();
    }

    /// <summary>Stage <b>limits</b>: a token from every applicable limit; false when a shared backend has to be awaited.</summary>
    private bool TakeLimits(ref Operation operation, in OwnedBytes key, CancellationToken cancellationToken) =>
        !_limiter.Applies(operation.Kind) || TakeApplyingLimits(ref operation, in key, cancellationToken);

    /// <summary>
    /// <see cref="TakeLimits"/> when some limit applies, out of line: an operation that no limit governs keeps the demand,
    /// the backend's task and the note out of its frame.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TakeApplyingLimits(ref Operation operation, in OwnedBytes key, CancellationToken cancellationToken)
    {
        if (operation.Async && _limitBackend is not null)
        {
            ValueTask<string?> acquiring = AcquireOrThrowAsync(LimitDemand.Single(operation.Kind), key.Memory, operation.Context, cancellationToken);
            if (!acquiring.IsCompleted)
            {
                operation.Pending = acquiring.AsTask();
                operation.Next = Stage.Decide;
                return false;
            }

            operation.LimitNote = acquiring.GetAwaiter().GetResult();
            return true;
        }

        if (AcquireOrThrow(LimitDemand.Single(operation.Kind), key.Span, operation.Context) is { } note)
        {
            operation.LimitNote = note; // usually null: not stored (a stored reference costs a write barrier)
        }

        return true;
    }

    /// <summary>Stage <b>decide</b>: the before-trigger's handlers against the current rule table, into the outcome.</summary>
    private void DecideBefore(ref Operation operation, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        RuleTable rules = Volatile.Read(ref _rules);
        int triggers = operation.Triggers = _compiledTriggers | rules.TriggerMask;
        if ((triggers & AfterTriggers) != 0)
        {
            operation.Rules = rules; // the observe stage judges by the same table
        }

        // References are stored only when set (the operation starts zeroed: a plain allow is the default outcome).
        PolicyTrigger before = BeforeTrigger(operation.Kind);
        if (Runs(triggers, before))
        {
            operation.Outcome = Decide(before, key, value, operation.Context, rules, operation.Thread, operation.LimitNote, default);
        }
        else if (operation.LimitNote is not null)
        {
            operation.Outcome = DecisionOutcome.Allowed(operation.LimitNote);
        }
    }

    private const int AfterTriggers = (1 << (int)PolicyTrigger.AfterWrite) | (1 << (int)PolicyTrigger.AfterRead) | (1 << (int)PolicyTrigger.AfterDelete);

    /// <summary>
    /// Stage <b>store</b>: the one call to the store, after a last look at the cancellation token; false when an
    /// asynchronous store call has to be awaited. A write whose decision-log entry goes into the store's own transaction
    /// (<see cref="AuditDurability.WithWrite"/>) is recorded here, as soon as it is committed.
    /// </summary>
    private bool CallStore(ref Operation operation, in OwnedBytes key, in OwnedBytes value, CancellationToken cancellationToken)
    {
        PolicyOperation kind = operation.Kind;
        ThrowIfCancelledBeforeStore(kind, key.Span, operation.Context, cancellationToken);
        if (operation.Async || (kind != PolicyOperation.Read && RecorderWithData() is not null))
        {
            return CallStoreOtherwise(ref operation, in key, in value, cancellationToken);
        }

        try
        {
            switch (kind)
            {
                case PolicyOperation.Write:
                    _store.Put(key.Span, WrittenSpan(in operation, in value));
                    break;
                case PolicyOperation.Read:
                    operation.Read = _store.TryGet(key.Span, out byte[]? found) ? found : null;
                    break;
                default:
                    operation.Removed = _store.Delete(key.Span);
                    break;
            }
        }
        catch (Exception exception)
        {
            RecordStoreFailure(kind, key.Span, operation.Context, exception);
            throw;
        }

        return true;
    }

    /// <summary>
    /// The store call of an asynchronous entry point, or of a write whose entry commits with the data, out of line (the
    /// common synchronous call keeps a small frame).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool CallStoreOtherwise(ref Operation operation, in OwnedBytes key, in OwnedBytes value, CancellationToken cancellationToken)
    {
        PolicyOperation kind = operation.Kind;
        AuditRecorder? withData = operation.WithData = kind == PolicyOperation.Read ? null : RecorderWithData();
        long recordedAt = 0;
        try
        {
            if (withData is null)
            {
                return CallStoreAsynchronously(ref operation, in key, in value, cancellationToken);
            }

            recordedAt = _clock.GetUtcTicks();
            AuditEntry entry = PrepareEntry(withData, recordedAt, kind, key.Span, operation.Context, in operation.Outcome);
            var transactional = (ITransactionalAuditStore)_store;
            if (kind == PolicyOperation.Write)
            {
                transactional.Put(key.Span, WrittenSpan(in operation, in value), withData.WithWrite!, entry);
            }
            else
            {
                operation.Removed = transactional.Delete(key.Span, withData.WithWrite!, entry);
            }
        }
        catch (Exception exception)
        {
            RecordStoreFailure(kind, key.Span, operation.Context, exception);
            throw;
        }

        // Committed with its entry: the ring and the other sinks get it now, before any observer can fail.
        RecordWrittenWithData(withData, recordedAt, kind, key.Span, operation.Context, in operation.Outcome);
        return true;
    }

    /// <summary>The store call of an asynchronous entry point: read at once when it completed, else parked for the continuation.</summary>
    private bool CallStoreAsynchronously(ref Operation operation, in OwnedBytes key, in OwnedBytes value, CancellationToken cancellationToken)
    {
        bool completed;
        switch (operation.Kind)
        {
            case PolicyOperation.Write:
                ValueTask put = _store.PutAsync(key.Memory, Written(in operation, in value), cancellationToken);
                if (completed = put.IsCompleted)
                {
                    put.GetAwaiter().GetResult();
                }
                else
                {
                    operation.Pending = put.AsTask();
                }

                break;
            case PolicyOperation.Read:
                ValueTask<byte[]?> get = _store.GetAsync(key.Memory, cancellationToken);
                if (completed = get.IsCompleted)
                {
                    operation.Read = get.GetAwaiter().GetResult();
                }
                else
                {
                    operation.Pending = get.AsTask();
                }

                break;
            default:
                ValueTask<bool> delete = _store.DeleteAsync(key.Memory, cancellationToken);
                if (completed = delete.IsCompleted)
                {
                    operation.Removed = delete.GetAwaiter().GetResult();
                }
                else
                {
                    operation.Pending = delete.AsTask();
                }

                break;
        }

        if (!completed)
        {
            operation.Next = Stage.Observe;
        }

        return completed;
    }

    /// <summary>What the store receives for a write: the value a BeforeWrite handler modified, else the engine's copy.</summary>
    private static ReadOnlyMemory<byte> Written(in Operation operation, in OwnedBytes value) => operation.Outcome.ModifiedValue ?? value.Memory;

    /// <inheritdoc cref="Written(in Operation, in OwnedBytes)"/>
    private static ReadOnlySpan<byte> WrittenSpan(in Operation operation, in OwnedBytes value) =>
        operation.Outcome.ModifiedValue is { } modified ? modified : value.Span;

    /// <summary>
    /// Stage <b>observe</b>: for a read, AfterRead handlers decide again on the value read, and their outcome replaces the
    /// first one; for a write or a delete that removed something, the observers run.
    /// </summary>
    private void ObserveAfter(ref Operation operation, ReadOnlySpan<byte> key, in OwnedBytes value)
    {
        int triggers = operation.Triggers;
        if (operation.Kind == PolicyOperation.Read)
        {
            if (operation.Read is { } read && Runs(triggers, PolicyTrigger.AfterRead))
            {
                operation.Outcome = Decide(PolicyTrigger.AfterRead, key, read, operation.Context, operation.Rules!, operation.Thread,
                    operation.LimitNote, operation.Outcome.Shadow);
                if (operation.Outcome.ModifiedValue is { } redacted)
                {
                    // A copy: the caller may change what it gets; the handler's array (often shared) must not change.
                    operation.Read = (byte[])redacted.Clone();
                }
            }
        }
        else if (operation.Kind == PolicyOperation.Write
            ? Runs(triggers, PolicyTrigger.AfterWrite)
            : operation.Removed && Runs(triggers, PolicyTrigger.AfterDelete))
        {
            Observe(operation.Kind == PolicyOperation.Write ? PolicyTrigger.AfterWrite : PolicyTrigger.AfterDelete, key,
                WrittenSpan(in operation, in value), operation.Context, operation.Rules!, operation.Thread);
        }
    }

    /// <summary>The result of a routine run with <c>async: false</c>, which has completed by construction.</summary>
    private static T CompletedSynchronously<T>(ValueTask<T> run)
    {
        Debug.Assert(run.IsCompleted, "a routine run with async: false awaits nothing");
        return run.GetAwaiter().GetResult();
    }

    /// <inheritdoc cref="CompletedSynchronously{T}(ValueTask{T})"/>
    private static void CompletedSynchronously(ValueTask run)
    {
        Debug.Assert(run.IsCompleted, "a routine run with async: false awaits nothing");
        run.GetAwaiter().GetResult();
    }

    private static PolicyTrigger BeforeTrigger(PolicyOperation operation) => operation switch
    {
        PolicyOperation.Write => PolicyTrigger.BeforeWrite,
        PolicyOperation.Read => PolicyTrigger.BeforeRead,
        _ => PolicyTrigger.BeforeDelete,
    };

    /// <summary>
    /// Stage <b>admit</b>: refuses the call when the engine is disposed (<see cref="ObjectDisposedException"/>, nothing
    /// recorded), when it was started from inside handlers nested deeper than the engine allows (a handler that calls the
    /// engine on its own key would otherwise recurse until the process dies of a stack overflow), and while a failing
    /// durable decision log refuses operations (fail closed). Once this returns, the call counts as in flight until
    /// <see cref="Leave"/>: disposal waits for it, and the decision log stays open for it.
    /// </summary>
    private void Admit(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, OperationScratch thread)
    {
        Enter();
        if (thread.Nesting >= _maxNestingDepth || Volatile.Read(ref _recorder) is { Pipeline.AdmitsAtOnce: false })
        {
            AdmitOrRefuse(operation, key, context, thread);
        }
    }

    /// <summary>
    /// The part of <see cref="Admit"/> that may refuse (too deep, or a decision log that does not take every operation at
    /// once), out of line: its texts and handlers stay out of the frame of every call that passes.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AdmitOrRefuse(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, OperationScratch thread)
    {
        try
        {
            int nesting = thread.Nesting;
            if (nesting >= _maxNestingDepth)
            {
                string reason = $"guarded operations nested {nesting} deep inside handlers (the limit is {_maxNestingDepth}); " +
                    "a handler that calls the engine must not recurse without end";
                throw Refuse(operation, key, context,
                    DecisionOutcome.Refused(AuditResult.Failed, PolicyRefusalCause.NestingTooDeep, null, null, null, reason));
            }

            if (Volatile.Read(ref _recorder) is { Pipeline: { AdmitsAtOnce: false } pipeline } recorder && pipeline.Admit() is not null)
            {
                RefuseForAudit(operation, key, context, recorder, pipeline);
            }
        }
        catch
        {
            Leave();
            throw;
        }
    }

    /// <summary>
    /// The decision log cannot take the operation: a durable sink fails and the log fails closed, or the queue stayed
    /// full longer than <see cref="AuditOptions.MaxBlock"/>. Recorded (the entry may be dropped when the queue is full)
    /// and thrown, in the engine's words: a sink's own message can quote keys or paths.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void RefuseForAudit(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, AuditRecorder recorder, AuditPipeline pipeline)
    {
        string reason = pipeline.RefusesOperations
            ? "the durable audit log cannot record it: a sink is failing (see AuditStatus)"
            : "the audit queue stayed full longer than AuditOptions.MaxBlock: the sinks do not keep up";
        var outcome = DecisionOutcome.Refused(AuditResult.Failed, PolicyRefusalCause.AuditUnavailable, null, null, "audit", reason);
        _metrics.RecordDecision(operation, AuditResult.Failed);
        PolicyTracing.Tag(operation, AuditResult.Failed, "audit", reason);
        recorder.Record(_clock.GetUtcTicks(), operation, key, context, AuditResult.Failed, "audit", reason, admitted: false);
        throw PolicyViolationException.Create(outcome.Cause, operation, key.ToArray(), null, null, reason, context.AgentId, null,
            DescribeRefusal(operation, KeyAsLogged(key), in outcome));
    }

    /// <summary>Counts the call in flight; refuses it once disposal has begun.</summary>
    private void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _closing) != 0)
        {
            LeaveDisposed();
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LeaveDisposed()
    {
        Leave();
        throw new ObjectDisposedException(nameof(PolicyEngine), "The policy engine was disposed; the operation was not run.");
    }

    /// <summary>The call is finished; the last one out after disposal began releases the decision log.</summary>
    private void Leave()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _closing) != 0)
        {
            ReleaseAfterDisposal(rethrow: false);
        }
    }

    /// <summary>
    /// Stage <b>decide</b>: runs the decision handlers of <paramref name="trigger"/> and returns the outcome; a refusal is
    /// recorded and thrown, and an approval not yet given registers a request and throws.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // its evaluation's frame is paid only when handlers run
    private DecisionOutcome Decide(PolicyTrigger trigger, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context, RuleTable rules,
        OperationScratch thread, string? limitNote, in ShadowNote earlier)
    {
        var evaluation = new PolicyEvaluation(trigger, key, value, context);
        Exception? failure = RunDecisions(ref evaluation, rules, thread);
        return failure is null && evaluation.IsPlainAllow && limitNote is null && earlier.IsEmpty
            ? default // the common outcome: nothing to refuse, hold, note or apply (what Conclude would give, composed for nothing)
            : Conclude(ref evaluation, failure, key, value, context, limitNote, in earlier);
    }

    /// <summary>
    /// The rest of <see cref="Decide"/> when the handlers left something to act on: the outcome is composed, a refusal
    /// recorded and thrown, an approval not yet given requested and thrown. Out of line: its frame and its texts are paid
    /// only then.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DecisionOutcome Conclude(ref PolicyEvaluation evaluation, Exception? failure, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value,
        PolicyContext context, string? limitNote, in ShadowNote earlier)
    {
        PolicyTrigger trigger = evaluation.Trigger;
        DecisionOutcome outcome = DecisionOutcome.Of(ref evaluation, failure, in earlier, limitNote);
        if (outcome.IsRefusal)
        {
            throw Refuse(trigger.Operation(), key, context, in outcome);
        }

        if (outcome.Result == AuditResult.ApprovalRequired)
        {
            RequireApprovalOrThrow(ref evaluation, trigger.Operation(), trigger == PolicyTrigger.BeforeWrite ? value : default);
            outcome = DecisionOutcome.Proceeding(trigger, evaluation.ModifyingRule, evaluation.ModifiedValue, outcome.Shadow, limitNote);
        }

        return outcome;
    }

    /// <summary>
    /// Runs the decision handlers of <paramref name="evaluation"/>'s trigger: compiled sets in order, then run-time rules,
    /// stopping at the first denial. Returns the exception of a handler that threw (the caller fails closed), else null.
    /// <paramref name="thread"/> is the state of the current thread, whose nesting counter the handlers' own calls read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into Decide, whose frame it shares (each caller runs it once)
    private Exception? RunDecisions(ref PolicyEvaluation evaluation, RuleTable rules, OperationScratch thread)
    {
        ref int nesting = ref thread.Nesting;
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

            if (Runs(rules.TriggerMask, evaluation.Trigger)) // the mask holds exactly the triggers that have run-time rules
            {
                rules[evaluation.Trigger].Evaluate(ref evaluation);
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
    /// Stage <b>observe</b> for AfterWrite and AfterDelete: the change is durable, so an observer that throws cannot undo
    /// it; the failure is audited and reported as <see cref="PolicyHandlerException"/> (committed).
    /// </summary>
    private void Observe(PolicyTrigger trigger, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context, RuleTable rules,
        OperationScratch thread)
    {
        var evaluation = new PolicyEvaluation(trigger, key, value, context);
        ref int nesting = ref thread.Nesting;
        nesting++;
        try
        {
            foreach (CompiledPolicySet set in _compiled)
            {
                if (set.Handles(trigger))
                {
                    set.Evaluate(ref evaluation);
                }
            }

            TriggerRules runtime = rules[trigger];
            if (!runtime.IsEmpty)
            {
                runtime.Observe(ref evaluation);
            }
        }
        catch (Exception exception)
        {
            PolicyOperation operation = trigger.Operation();
            PolicyRuleInfo? culprit = evaluation.CurrentRule;
            Record(operation, key, context, AuditResult.Failed, culprit, $"committed, then the handler threw {exception.GetType().Name}");
            throw PolicyHandlerException.Create(operation, key, culprit, context.AgentId, exception, KeyAsLogged(key));
        }
        finally
        {
            nesting--;
        }
    }

    /// <summary>Records a refusal and returns the exception that reports it, worded from the same outcome.</summary>
    private PolicyViolationException Refuse(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, in DecisionOutcome outcome,
        int? batchItemIndex = null, string? message = null)
    {
        Record(operation, key, context, in outcome);
        message ??= DescribeRefusal(operation, KeyAsLogged(key), in outcome);
        return PolicyViolationException.Create(outcome.Cause, operation, key.ToArray(), outcome.Trigger, outcome.Rule, outcome.Reason,
            context.AgentId, outcome.Failure, message, batchItemIndex);
    }

    /// <summary>A refusal's message: the operation, the key (masked where the decision log masks it), who refused and why.</summary>
    private static string DescribeRefusal(PolicyOperation operation, string keyText, in DecisionOutcome outcome)
    {
        string what = $"{PolicyViolationException.Verb(operation)} of \"{keyText}\"";
        string by = outcome.Rule is null ? "the policy" : outcome.Rule.ToString();
        return outcome.Cause switch
        {
            PolicyRefusalCause.HandlerFailed =>
                $"{what} refused because {by} threw {outcome.Failure?.GetType().Name} (a failing handler refuses the operation).",
            PolicyRefusalCause.Denied or PolicyRefusalCause.UndefinedVerdict when outcome.Trigger is not null =>
                $"{what} denied by {by}{(string.IsNullOrEmpty(outcome.Reason) ? "" : ": " + outcome.Reason)}.",
            _ => $"{what} refused: {outcome.Reason}.",
        };
    }

    /// <summary>
    /// A store failure: counted and audited as failed, in the engine's words and the exception's type (its message can
    /// quote the key); the caller rethrows the exception itself.
    /// </summary>
    private void RecordStoreFailure(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, Exception exception, string? detail = null)
    {
        string reason = exception is OperationCanceledException
            ? $"{exception.GetType().Name}: cancelled in the store{detail}"
            : $"store failed with {exception.GetType().Name}{detail}";
        Record(operation, key, context, AuditResult.Failed, null, reason);
    }

    /// <summary>Cancellation after the decision and before the store call: nothing changed; recorded as failed.</summary>
    private void ThrowIfCancelledBeforeStore(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            Record(operation, key, context, AuditResult.Failed, null, "cancelled before the store was called; nothing changed");
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static bool Runs(int triggers, PolicyTrigger trigger) => (triggers & (1 << (int)trigger)) != 0;

    /// <summary>Stage <b>record</b>: the outcome is counted, tagged on the span and audited (when audit is on).</summary>
    private void Record(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, in DecisionOutcome outcome)
    {
        if (outcome.IsPlainAllow)
        {
            RecordAllowed(operation, key, context);
        }
        else
        {
            Record(operation, key, context, outcome.Result, outcome.Rule, outcome.AuditReason, outcome.RuleText);
        }
    }

    /// <summary>
    /// The recorder whose durable log takes the entries of writes in the store's transactions
    /// (<see cref="AuditDurability.WithWrite"/>), or null: the entry goes through the queue after the store call.
    /// </summary>
    private AuditRecorder? RecorderWithData() => Volatile.Read(ref _recorder) is { WithWrite: not null } recorder ? recorder : null;

    /// <summary>What the decision log records of <paramref name="outcome"/>: the result, the deciding rule's text and the reason.</summary>
    private static (AuditResult Result, string? Rule, string? Reason) AuditFields(in DecisionOutcome outcome) =>
        outcome.IsPlainAllow ? (AuditResult.Allowed, null, null) : (outcome.Result, outcome.RuleText ?? outcome.Rule?.ToString(), outcome.AuditReason);

    /// <summary>The entry of a write for the store to commit with the data (see <see cref="RecordWrittenWithData"/>).</summary>
    private static AuditEntry PrepareEntry(AuditRecorder recorder, long utcTicks, PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context,
        in DecisionOutcome outcome)
    {
        (AuditResult result, string? rule, string? reason) = AuditFields(in outcome);
        return recorder.Prepare(utcTicks, operation, key, context, result, rule, reason);
    }

    /// <summary>
    /// Stage <b>record</b> for a write whose entry the store committed with the data: counted, tagged, and recorded in the
    /// ring and every sink but the durable log that already holds it.
    /// </summary>
    private void RecordWrittenWithData(AuditRecorder recorder, long utcTicks, PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context,
        in DecisionOutcome outcome)
    {
        (AuditResult result, string? rule, string? reason) = AuditFields(in outcome);
        _metrics.RecordDecision(operation, result);
        PolicyTracing.Tag(operation, result, rule, reason);
        recorder.Record(utcTicks, operation, key, context, result, rule, reason, writtenTo: recorder.WithWrite);
    }

    /// <summary>
    /// The allowed outcome: counted, and audited when audit is on. The common path: while nobody listens to the metrics or
    /// the spans and audit is off, it is three reads and no call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RecordAllowed(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context)
    {
        if (_metrics.DecisionsEnabled || PolicyTracing.Source.HasListeners() || Volatile.Read(ref _recorder) is not null)
        {
            RecordAllowedObserved(operation, key, context);
        }
    }

    /// <inheritdoc cref="RecordAllowed"/>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordAllowedObserved(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context)
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
