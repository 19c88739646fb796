using System;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;
using SochDb.Policy.Engine;
using SochDb.Policy.CompilerServices;

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
    /// <exception cref="PolicyViolationException">A limit lacks the tokens of the whole batch
    /// (<see cref="PolicyRefusalCause.RateLimited"/>), or an item was denied, needs approval or its handler failed
    /// (<see cref="PolicyViolationException.BatchItemIndex"/> names it); nothing was written.</exception>
    /// <exception cref="PolicyHandlerException">An after-handler threw; the batch was committed.</exception>
    public void Write(WriteBatch batch, PolicyContext? context = null) =>
        CompletedSynchronously(RunBatch(Snapshot(batch), context ?? PolicyContext.Empty, async: false, CancellationToken.None));

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

        return RunBatch(items, context ?? PolicyContext.Empty, async: true, cancellationToken);
    }

    /// <summary>
    /// The batch pipeline, for both entry points (see <see cref="Proceed"/>): admit, limits (the tokens of the whole
    /// batch at once), decide (every item), store (one transaction), observe and record (every item).
    /// </summary>
    private async ValueTask RunBatch(BatchItem[] items, PolicyContext context, bool async, CancellationToken cancellationToken)
    {
        using System.Diagnostics.Activity? span = PolicyTracing.Start(PolicyOperation.Write);
        Admit(PolicyOperation.Write, items[0].Key, context, OperationScratch.Current);
        try
        {
            (int puts, int deletes) = Count(items);
            LimitDemand demand = LimitDemand.Batch(puts, deletes);
            string? note = async && _limitBackend is not null
                ? await AcquireOrThrowAsync(demand, items[0].Key, context, cancellationToken).ConfigureAwait(false)
                : AcquireOrThrow(demand, items[0].Key, context);
            RuleTable rules = Volatile.Read(ref _rules);
            WriteBatch admitted = DecideBatch(items, context, rules, note);
            ThrowIfCancelledBeforeStore(PolicyOperation.Write, items[0].Key, context, cancellationToken);
            AuditRecorder? withData = RecorderWithData();
            long recordedAt = 0;
            try
            {
                if (withData is not null)
                {
                    // The decision log's WithWrite durability: every item's entry in the batch's own transaction.
                    recordedAt = _clock.GetUtcTicks();
                    var entries = new AuditEntry[items.Length];
                    for (int i = 0; i < items.Length; i++)
                    {
                        DecisionOutcome outcome = items[i].Outcome;
                        entries[i] = PrepareEntry(withData, recordedAt, ItemOperation(items[i]), items[i].Key, context, in outcome);
                    }

                    ((ITransactionalAuditStore)_store).Write(admitted, withData.WithWrite!, entries);
                }
                else if (async)
                {
                    await _store.WriteAsync(admitted, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    _store.Write(admitted);
                }
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Write, items[0].Key, context, exception, DescribeFailedBatch(items.Length));
                throw;
            }

            if (withData is not null)
            {
                // Committed with their entries: the ring and the other sinks get them now, before any observer can fail.
                foreach (BatchItem item in items)
                {
                    DecisionOutcome outcome = item.Outcome;
                    RecordWrittenWithData(withData, recordedAt, ItemOperation(item), item.Key, context, in outcome);
                }
            }

            CompleteBatch(items, context, rules, recorded: withData is not null);
        }
        finally
        {
            Leave();
        }
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

        /// <summary>What the item's before-handlers decided (set when the batch is admitted).</summary>
        public DecisionOutcome Outcome { get; set; }
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
    private WriteBatch DecideBatch(BatchItem[] items, PolicyContext context, RuleTable rules, string? limitNote)
    {
        int triggers = _compiledTriggers | rules.TriggerMask;
        var admitted = new WriteBatch();
        for (int i = 0; i < items.Length; i++)
        {
            BatchItem item = items[i];
            PolicyTrigger trigger = item.IsDelete ? PolicyTrigger.BeforeDelete : PolicyTrigger.BeforeWrite;
            DecisionOutcome outcome = DecisionOutcome.Allowed(limitNote);
            if (Runs(triggers, trigger))
            {
                var before = new PolicyEvaluation(trigger, item.Key, item.Value, context);
                Exception? failure = RunDecisions(ref before, rules, OperationScratch.Current);
                outcome = DecisionOutcome.Of(ref before, failure, default, limitNote);
                if (outcome.IsRefusal || outcome.Result == AuditResult.ApprovalRequired)
                {
                    throw RefuseBatch(item.Key, context, in outcome, i, items.Length);
                }

                if (outcome.ModifiedValue is { } modified)
                {
                    item.Value = (byte[])modified.Clone(); // the handler's array may be shared; the batch owns what it writes
                }
            }

            item.Outcome = outcome;
            admitted.AddOwned(item.Key, item.Value); // the engine's own copies, judged: written as they are
        }

        return admitted;
    }

    /// <summary>
    /// Records the refusal of a batch at item <paramref name="index"/> and returns the exception to throw. Approvals cover
    /// single operations, so an item that needs one refuses the batch too.
    /// </summary>
    private PolicyViolationException RefuseBatch(byte[] key, PolicyContext context, in DecisionOutcome outcome, int index, int count)
    {
        string what = outcome.Result == AuditResult.ApprovalRequired
                ? $"requires approval ({outcome.Reason}); approvals cover single operations, so write that item on its own"
            : outcome.Cause == PolicyRefusalCause.HandlerFailed ? $"its handler threw {outcome.Failure?.GetType().Name}"
            : outcome.Cause == PolicyRefusalCause.UndefinedVerdict ? $"its handler failed: {outcome.Reason}"
            : outcome.Reason is null ? "denied" : $"denied: {outcome.Reason}";
        string itemText = string.Create(CultureInfo.InvariantCulture, $"batch item {index} of {count}");
        DecisionOutcome refusal = outcome.WithReason($"{itemText} ({outcome.Trigger}) {what}; the batch was refused and nothing was written");
        string by = outcome.Rule is null ? "the policy" : outcome.Rule.ToString();
        string message = $"Batch refused at item {index} of {count} ({outcome.Trigger} of \"{KeyAsLogged(key)}\"): " +
            $"{by} {what}. Nothing of the batch was written.";
        PolicyViolationException exception = Refuse(PolicyOperation.Write, key, context, in refusal, index, message);
        return exception;
    }

    private static PolicyOperation ItemOperation(BatchItem item) => item.IsDelete ? PolicyOperation.Delete : PolicyOperation.Write;

    /// <summary>
    /// After the batch is durable: each item's after-handlers and audit entry (unless already <paramref name="recorded"/>
    /// with the data). The first observer failure is thrown at the end.
    /// </summary>
    private void CompleteBatch(BatchItem[] items, PolicyContext context, RuleTable rules, bool recorded)
    {
        int triggers = _compiledTriggers | rules.TriggerMask;
        PolicyHandlerException? firstFailure = null;
        foreach (BatchItem item in items)
        {
            PolicyOperation operation = ItemOperation(item);
            PolicyTrigger trigger = item.IsDelete ? PolicyTrigger.AfterDelete : PolicyTrigger.AfterWrite;
            if (Runs(triggers, trigger))
            {
                try
                {
                    Observe(trigger, item.Key, item.Value, context, rules, OperationScratch.Current);
                }
                catch (PolicyHandlerException failure)
                {
                    firstFailure ??= failure;
                    continue; // Observe recorded this item's outcome as failed.
                }
            }

            if (!recorded)
            {
                DecisionOutcome outcome = item.Outcome;
                Record(operation, item.Key, context, in outcome);
            }
        }

        if (firstFailure is not null)
        {
            throw firstFailure;
        }
    }

    private static string DescribeFailedBatch(int count) =>
        string.Create(CultureInfo.InvariantCulture, $" (batch of {count}; the transaction rolled back, nothing was written)");
}
