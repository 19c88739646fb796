using System;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;
using SochDb.Policy.Engine;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Applies every put and delete of <paramref name="batch"/> if every policy allows each of them, all or nothing:
    /// the batch takes one token per item from every applicable limit at once (or none); every item runs its
    /// before-handlers (BeforeWrite for a put, whose Modify applies to that item; BeforeDelete for a delete); one denial
    /// or failure refuses the whole batch, naming the item, and nothing is written. Then one store transaction, then the
    /// after-handlers of each item (AfterDelete runs for every delete of the batch: a batch does not report which keys
    /// were present).
    /// </summary>
    /// <remarks>
    /// The engine works on its own copy of the batch, taken when the call starts. Audit: a refused batch records one
    /// entry, for the refusing item, whose reason says the batch was refused and nothing was written; an applied batch
    /// records one entry per item.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="batch"/> is empty.</exception>
    /// <exception cref="RateLimitExceededException">A limit lacks the tokens of the whole batch; nothing was written.</exception>
    /// <exception cref="PolicyViolationException">An item was denied or its handler failed
    /// (<see cref="PolicyViolationException.BatchItemIndex"/> names it); nothing was written.</exception>
    /// <exception cref="PolicyHandlerException">An after-handler threw; the batch was committed.</exception>
    public void Write(WriteBatch batch, PolicyContext? context = null)
    {
        BatchItem[] items = Snapshot(batch);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        using System.Diagnostics.Activity? activity = PolicyTracing.Start(PolicyOperation.Write);
        CheckAdmission(PolicyOperation.Write, items[0].Key, ctx);
        (int puts, int deletes) = Count(items);
        string? note = AcquireOrThrow(LimitDemand.Batch(puts, deletes), items[0].Key, ctx);
        RuleTable rules = Volatile.Read(ref _rules);
        WriteBatch admitted = DecideBatch(items, ctx, rules);
        try
        {
            _store.Write(admitted);
        }
        catch (Exception exception)
        {
            RecordStoreFailure(PolicyOperation.Write, items[0].Key, ctx, exception, DescribeFailedBatch(items.Length));
            throw;
        }

        CompleteBatch(items, ctx, rules, note);
    }

    /// <summary>The asynchronous twin of <see cref="Write(WriteBatch, PolicyContext?)"/>.</summary>
    /// <inheritdoc cref="Write(WriteBatch, PolicyContext?)"/>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the store was
    /// called; nothing was written.</exception>
    public ValueTask WriteAsync(WriteBatch batch, PolicyContext? context = null, CancellationToken cancellationToken = default)
    {
        BatchItem[] items = Snapshot(batch);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return WriteAsyncCore(items, context ?? PolicyContext.Empty, cancellationToken);
    }

    private async ValueTask WriteAsyncCore(BatchItem[] items, PolicyContext ctx, CancellationToken cancellationToken)
    {
        using System.Diagnostics.Activity? activity = PolicyTracing.Start(PolicyOperation.Write);
        CheckAdmission(PolicyOperation.Write, items[0].Key, ctx);
        (int puts, int deletes) = Count(items);
        string? note = await AcquireOrThrowAsync(LimitDemand.Batch(puts, deletes), items[0].Key, ctx, cancellationToken).ConfigureAwait(false);
        RuleTable rules = Volatile.Read(ref _rules);
        WriteBatch admitted = DecideBatch(items, ctx, rules);
        ThrowIfCancelledBeforeStore(PolicyOperation.Write, items[0].Key, ctx, cancellationToken);
        try
        {
            await _store.WriteAsync(admitted, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            RecordStoreFailure(PolicyOperation.Write, items[0].Key, ctx, exception, DescribeFailedBatch(items.Length));
            throw;
        }

        CompleteBatch(items, ctx, rules, note);
    }

    /// <summary>One put or delete of a batch, in the engine's own copy.</summary>
    private sealed class BatchItem
    {
        public BatchItem(byte[] key, byte[]? value)
        {
            Key = key;
            Value = value;
        }

        public byte[] Key { get; }

        /// <summary>The value to put (after BeforeWrite modifications); null for a delete.</summary>
        public byte[]? Value { get; set; }

        public bool IsDelete => Value is null;

        public PolicyRuleInfo? ModifyingRule { get; set; }

        public ShadowNote Shadow { get; set; }
    }

    private static BatchItem[] Snapshot(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var operations = batch.Operations;
        if (operations.Count == 0)
        {
            throw new ArgumentException("The batch is empty: add at least one put or delete.", nameof(batch));
        }

        var items = new BatchItem[operations.Count];
        for (int i = 0; i < items.Length; i++)
        {
            (byte[] key, byte[]? value) = operations[i];
            KeyRules.Validate(key, nameof(batch));
            items[i] = new BatchItem((byte[])key.Clone(), (byte[]?)value?.Clone());
        }

        return items;
    }

    private static (int Puts, int Deletes) Count(BatchItem[] items)
    {
        int deletes = 0;
        foreach (BatchItem item in items)
        {
            if (item.IsDelete)
            {
                deletes++;
            }
        }

        return (items.Length - deletes, deletes);
    }

    /// <summary>Runs every item's before-handlers; refuses the whole batch at the first denial or failure.</summary>
    private WriteBatch DecideBatch(BatchItem[] items, PolicyContext context, RuleTable rules)
    {
        int triggers = _compiledTriggers | rules.TriggerMask;
        var admitted = new WriteBatch();
        for (int i = 0; i < items.Length; i++)
        {
            BatchItem item = items[i];
            PolicyTrigger trigger = item.IsDelete ? PolicyTrigger.BeforeDelete : PolicyTrigger.BeforeWrite;
            if (Runs(triggers, trigger))
            {
                var before = new PolicyEvaluation(trigger, item.Key, item.Value, context);
                Exception? failure = RunDecisions(ref before, rules);
                if (failure is not null || before.IsDenied)
                {
                    throw RefuseBatch(ref before, failure, i, items.Length);
                }

                item.Shadow = ShadowNote.Of(before);
                if (before.RequiresApproval)
                {
                    throw RefuseBatchForApproval(ref before, i, items.Length);
                }

                if (before.ModifiedValue is { } modified)
                {
                    item.Value = (byte[])modified.Clone(); // the handler's array may be shared; the batch owns what it writes
                    item.ModifyingRule = before.ModifyingRule;
                }
            }

            admitted.AddOwned(item.Key, item.Value); // the engine's own copies, judged: written as they are
        }

        return admitted;
    }

    /// <summary>Records the refusal of a batch at item <paramref name="index"/> and returns the exception to throw.</summary>
    private PolicyViolationException RefuseBatch(ref PolicyEvaluation evaluation, Exception? failure, int index, int count)
    {
        PolicyOperation operation = PolicyOperation.Write;
        PolicyRuleInfo? rule = failure is null ? evaluation.DecidingRule : evaluation.CurrentRule;
        string what = failure is not null ? $"its handler threw {failure.GetType().Name}: {failure.Message}"
            : evaluation.IsFaulted ? $"its handler failed: {evaluation.Reason}"
            : evaluation.Reason is null ? "denied" : $"denied: {evaluation.Reason}";
        string itemText = string.Create(CultureInfo.InvariantCulture, $"batch item {index} of {count}");
        string reason = $"{itemText} ({evaluation.Trigger}) {what}; the batch was refused and nothing was written";
        AuditResult result = failure is not null || evaluation.IsFaulted ? AuditResult.Failed : AuditResult.Denied;
        Record(operation, evaluation.Key, evaluation.Context, result, rule, reason);

        string by = rule is null ? "the policy" : rule.ToString();
        string message = $"Batch refused at item {index} of {count} ({evaluation.Trigger} of \"{Encoding.UTF8.GetString(evaluation.Key)}\"): " +
            $"{by} {what}. Nothing of the batch was written.";
        PolicyRefusalCause cause = failure is not null ? PolicyRefusalCause.HandlerFailed
            : evaluation.IsFaulted ? PolicyRefusalCause.UndefinedVerdict : PolicyRefusalCause.Denied;
        return PolicyViolationException.Create(cause, operation, evaluation.Key.ToArray(), evaluation.Trigger, rule,
            failure is null ? evaluation.Reason : "the handler threw " + failure.GetType().Name,
            evaluation.Context.AgentId, failure, message, index);
    }

    /// <summary>After the batch is durable: each item's after-handlers and audit entry. The first observer failure is thrown at the end.</summary>
    private void CompleteBatch(BatchItem[] items, PolicyContext context, RuleTable rules, string? note)
    {
        int triggers = _compiledTriggers | rules.TriggerMask;
        PolicyHandlerException? firstFailure = null;
        foreach (BatchItem item in items)
        {
            PolicyOperation operation = item.IsDelete ? PolicyOperation.Delete : PolicyOperation.Write;
            PolicyTrigger trigger = item.IsDelete ? PolicyTrigger.AfterDelete : PolicyTrigger.AfterWrite;
            if (Runs(triggers, trigger))
            {
                try
                {
                    var after = new PolicyEvaluation(trigger, item.Key, item.Value, context);
                    Observe(ref after, rules, operation);
                }
                catch (PolicyHandlerException failure)
                {
                    firstFailure ??= failure;
                    continue; // Observe recorded this item's outcome as failed.
                }
            }

            RecordOutcome(operation, item.Key, context, item.ModifyingRule, item.Shadow, note);
        }

        if (firstFailure is not null)
        {
            throw firstFailure;
        }
    }

    private static string DescribeFailedBatch(int count) =>
        string.Create(CultureInfo.InvariantCulture, $" (batch of {count}; the transaction rolled back, nothing was written)");

    /// <summary>Cancellation after the decision and before the store call: nothing changed; recorded as failed.</summary>
    private void ThrowIfCancelledBeforeStore(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            Record(operation, key, context, AuditResult.Failed, null, "cancelled before the store was called; nothing changed");
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
