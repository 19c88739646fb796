using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;
using SochDb.Policy.Engine;

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
/// The routine takes <c>bool async</c> (the idiom of Npgsql and of this repository's PostgreSQL store): with
/// <c>false</c> it awaits nothing, so it has completed when it returns and the synchronous entry point reads its result.
/// The library is always compiled optimized, so that routine's state machine lives on the stack: a synchronous call, and
/// an asynchronous one whose store completes synchronously, allocates nothing.
/// </summary>
public sealed partial class PolicyEngine
{
    // Guarded operations in progress on this thread inside handlers: a handler that calls the engine nests one level.
    [ThreadStatic]
    private static int t_nesting;

    // Operations admitted and not yet finished (disposal waits for them); nonzero once disposal has begun.
    private int _inFlight;
    private int _closing;

    /// <summary>What a single-key operation returns: the value read, or whether the key was present for a delete.</summary>
    private readonly record struct OperationResult(byte[]? Value, bool Removed);

    /// <summary>The single-key pipeline: admit, limits, decide, store, observe, record.</summary>
    /// <param name="operation">Read, Write or Delete.</param>
    /// <param name="key">The engine's copy of the key (released when the operation ends).</param>
    /// <param name="value">For a write, the engine's copy of the value (released when the operation ends).</param>
    /// <param name="context">The caller's context.</param>
    /// <param name="async">True for the asynchronous entry points: the limit backend and the store are awaited.</param>
    /// <param name="cancellationToken">Checked before the limits and before the store.</param>
    private async ValueTask<OperationResult> RunOperation(PolicyOperation operation, OwnedBytes key, OwnedBytes value, PolicyContext context,
        bool async, CancellationToken cancellationToken)
    {
        Activity? span = PolicyTracing.Start(operation);
        bool admitted = false;
        try
        {
            Admit(operation, key.Span, context);
            admitted = true;

            string? limitNote = !_limiter.Applies(operation) ? null
                : async && _limitBackend is not null
                ? await AcquireOrThrowAsync(LimitDemand.Single(operation), key.Memory, context, cancellationToken).ConfigureAwait(false)
                : AcquireOrThrow(LimitDemand.Single(operation), key.Span, context);

            RuleTable rules = Volatile.Read(ref _rules);
            int triggers = _compiledTriggers | rules.TriggerMask;
            PolicyTrigger before = BeforeTrigger(operation);
            DecisionOutcome outcome = Runs(triggers, before)
                ? Decide(before, key.Span, value.Span, context, rules, limitNote, default)
                : DecisionOutcome.Allowed(limitNote);

            ThrowIfCancelledBeforeStore(operation, key.Span, context, cancellationToken);
            ReadOnlyMemory<byte> written = outcome.ModifiedValue ?? value.Memory;
            byte[]? read = null;
            bool removed = false;

            // The decision log's WithWrite durability: the entry of a write goes into the write's own transaction.
            AuditRecorder? withData = operation == PolicyOperation.Read ? null : RecorderWithData();
            long recordedAt = 0;
            try
            {
                switch (operation)
                {
                    case PolicyOperation.Write when withData is not null:
                        recordedAt = _clock.GetUtcTicks();
                        ((ITransactionalAuditStore)_store).Put(key.Span, written.Span, withData.WithWrite!,
                            PrepareEntry(withData, recordedAt, operation, key.Span, context, in outcome));
                        break;
                    case PolicyOperation.Delete when withData is not null:
                        recordedAt = _clock.GetUtcTicks();
                        removed = ((ITransactionalAuditStore)_store).Delete(key.Span, withData.WithWrite!,
                            PrepareEntry(withData, recordedAt, operation, key.Span, context, in outcome));
                        break;
                    case PolicyOperation.Write when async:
                        await _store.PutAsync(key.Memory, written, cancellationToken).ConfigureAwait(false);
                        break;
                    case PolicyOperation.Write:
                        _store.Put(key.Span, written.Span);
                        break;
                    case PolicyOperation.Read when async:
                        read = await _store.GetAsync(key.Memory, cancellationToken).ConfigureAwait(false);
                        break;
                    case PolicyOperation.Read:
                        read = _store.TryGet(key.Span, out byte[]? found) ? found : null;
                        break;
                    case PolicyOperation.Delete when async:
                        removed = await _store.DeleteAsync(key.Memory, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        removed = _store.Delete(key.Span);
                        break;
                }
            }
            catch (Exception exception)
            {
                RecordStoreFailure(operation, key.Span, context, exception);
                throw;
            }

            if (withData is not null)
            {
                // Committed with its entry: the ring and the other sinks get it now, before any observer can fail.
                RecordWrittenWithData(withData, recordedAt, operation, key.Span, context, in outcome);
            }

            if (operation == PolicyOperation.Read)
            {
                if (read is not null && Runs(triggers, PolicyTrigger.AfterRead))
                {
                    outcome = Decide(PolicyTrigger.AfterRead, key.Span, read, context, rules, limitNote, outcome.Shadow);
                    if (outcome.ModifiedValue is { } redacted)
                    {
                        // A copy: the caller may change what it gets; the handler's array (often shared) must not change.
                        read = (byte[])redacted.Clone();
                    }
                }
            }
            else if (operation == PolicyOperation.Write ? Runs(triggers, PolicyTrigger.AfterWrite) : removed && Runs(triggers, PolicyTrigger.AfterDelete))
            {
                Observe(operation == PolicyOperation.Write ? PolicyTrigger.AfterWrite : PolicyTrigger.AfterDelete, key.Span, written.Span, context, rules);
            }

            if (withData is null)
            {
                Record(operation, key.Span, context, in outcome);
            }

            return new OperationResult(read, removed);
        }
        finally
        {
            span?.Dispose();
            if (admitted)
            {
                Leave();
            }

            value.Release();
            key.Release();
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
    private void Admit(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context)
    {
        Enter();
        try
        {
            int nesting = t_nesting;
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
            DescribeRefusal(operation, KeyText(key), in outcome));
    }

    /// <summary>Counts the call in flight; refuses it once disposal has begun.</summary>
    private void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _closing) != 0)
        {
            Leave();
            throw new ObjectDisposedException(nameof(PolicyEngine), "The policy engine was disposed; the operation was not run.");
        }
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
    private DecisionOutcome Decide(PolicyTrigger trigger, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context, RuleTable rules,
        string? limitNote, in ShadowNote earlier)
    {
        var evaluation = new PolicyEvaluation(trigger, key, value, context);
        Exception? failure = RunDecisions(ref evaluation, rules);
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
    /// Stage <b>observe</b> for AfterWrite and AfterDelete: the change is durable, so an observer that throws cannot undo
    /// it; the failure is audited and reported as <see cref="PolicyHandlerException"/> (committed).
    /// </summary>
    private void Observe(PolicyTrigger trigger, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context, RuleTable rules)
    {
        var evaluation = new PolicyEvaluation(trigger, key, value, context);
        ref int nesting = ref t_nesting;
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
            throw PolicyHandlerException.Create(operation, key, culprit, context.AgentId, exception, KeyText(key));
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
        message ??= DescribeRefusal(operation, KeyText(key), in outcome);
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
    /// The key as free text may show it: masked (as the decision log records it) when a mask of the decision log covers
    /// it, else as UTF-8 text.
    /// </summary>
    private string KeyText(ReadOnlySpan<byte> key)
    {
        if (Volatile.Read(ref _recorder)?.Mask is { } mask && mask.Matches(key))
        {
            Span<byte> masked = stackalloc byte[AuditKeyMask.Length];
            mask.Write(key, masked);
            return System.Text.Encoding.ASCII.GetString(masked);
        }

        return System.Text.Encoding.UTF8.GetString(key);
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
