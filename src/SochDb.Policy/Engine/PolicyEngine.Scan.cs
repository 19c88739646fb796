using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.Engine;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Every entry whose key starts with <paramref name="prefix"/> (empty: all) that the policies let the caller see,
    /// in key order, streamed from the store. Enumeration first takes a read token (before the store is touched, so a
    /// throttled caller costs the store nothing); then each examined key goes through the steps of a Get: it takes a
    /// read token (the first key uses the one already taken; when none is left, enumeration stops with
    /// <see cref="PolicyViolationException"/> of cause <see cref="PolicyRefusalCause.RateLimited"/>), BeforeRead handlers (a denied key is skipped and audited), then AfterRead
    /// handlers (denied: skipped and audited; modified: the modified value is yielded). A failing handler or store stops
    /// enumeration with <see cref="PolicyViolationException"/> or the store's exception, as in Get.
    /// </summary>
    /// <exception cref="PolicyViolationException">During enumeration: a read limit has no token, or a handler failed
    /// (<see cref="PolicyViolationException.Cause"/> says which).</exception>
    /// <exception cref="ObjectDisposedException">During enumeration: the engine was disposed.</exception>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix, PolicyContext? context = null) =>
        Blocking(RunScan(prefix.ToArray(), context ?? PolicyContext.Empty, async: false, CancellationToken.None));

    /// <summary>Every entry whose key starts with the UTF-8 <paramref name="prefix"/> that the policies let the caller see.</summary>
    /// <inheritdoc cref="Scan(ReadOnlySpan{byte}, PolicyContext?)"/>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> is null.</exception>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(string prefix, PolicyContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Scan(System.Text.Encoding.UTF8.GetBytes(prefix), context);
    }

    /// <summary>The asynchronous twin of <see cref="Scan(ReadOnlySpan{byte}, PolicyContext?)"/>, streamed from the store.</summary>
    /// <inheritdoc cref="Scan(ReadOnlySpan{byte}, PolicyContext?)"/>
    public IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(ReadOnlyMemory<byte> prefix, PolicyContext? context = null,
        CancellationToken cancellationToken = default) =>
        RunScan(prefix.ToArray(), context ?? PolicyContext.Empty, async: true, cancellationToken);

    /// <summary>The asynchronous twin of <see cref="Scan(string, PolicyContext?)"/>.</summary>
    /// <inheritdoc cref="Scan(string, PolicyContext?)"/>
    public IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(string prefix, PolicyContext? context = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return ScanAsync(System.Text.Encoding.UTF8.GetBytes(prefix), context, cancellationToken);
    }

    /// <summary>
    /// The scan pipeline, for both entry points (see <see cref="Proceed"/>): admit and limits once for the scan,
    /// then, for each entry the store yields, admit (the engine may have been disposed meanwhile), limits (its own token
    /// after the first), decide (BeforeRead, AfterRead) and record.
    /// </summary>
    private async IAsyncEnumerable<KeyValuePair<byte[], byte[]>> RunScan(byte[] prefix, PolicyContext context, bool async,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Admit(PolicyOperation.Read, prefix, context, OperationScratch.Current);
        string? note;
        IEnumerator<KeyValuePair<byte[], byte[]>>? entries = null;
        IAsyncEnumerator<KeyValuePair<byte[], byte[]>>? asyncEntries = null;
        try
        {
            note = async && _limitBackend is not null
                ? await AcquireOrThrowAsync(LimitDemand.Single(PolicyOperation.Read), prefix, context, cancellationToken).ConfigureAwait(false)
                : AcquireOrThrow(LimitDemand.Single(PolicyOperation.Read), prefix, context);
            try
            {
                if (async)
                {
                    asyncEntries = _store.ScanAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
                }
                else
                {
                    entries = _store.Scan(prefix).GetEnumerator();
                }
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Read, prefix, context, exception, " (scan)");
                throw;
            }
        }
        finally
        {
            Leave();
        }

        try
        {
            bool holdsToken = true;
            while (true)
            {
                KeyValuePair<byte[], byte[]> entry;
                try
                {
                    if (!(async ? await asyncEntries!.MoveNextAsync().ConfigureAwait(false) : entries!.MoveNext()))
                    {
                        yield break;
                    }

                    entry = async ? asyncEntries!.Current : entries!.Current;
                }
                catch (Exception exception)
                {
                    RecordStoreFailure(PolicyOperation.Read, prefix, context, exception, " (scan)");
                    throw;
                }

                Enter();
                byte[]? visible;
                try
                {
                    if (!holdsToken)
                    {
                        note = async && _limitBackend is not null
                            ? await AcquireOrThrowAsync(LimitDemand.Single(PolicyOperation.Read), entry.Key, context, cancellationToken).ConfigureAwait(false)
                            : AcquireOrThrow(LimitDemand.Single(PolicyOperation.Read), entry.Key, context);
                    }

                    holdsToken = false;
                    visible = DecideScanned(entry.Key, entry.Value, context, note);
                }
                finally
                {
                    Leave();
                }

                if (visible is not null)
                {
                    yield return new KeyValuePair<byte[], byte[]>(entry.Key, visible);
                }
            }
        }
        finally
        {
            if (asyncEntries is not null)
            {
                await asyncEntries.DisposeAsync().ConfigureAwait(false);
            }

            entries?.Dispose();
        }
    }

    /// <summary>
    /// One scanned entry through BeforeRead and AfterRead (its token already taken), recorded: the value to yield, or null
    /// when a handler denied it or it needs approval (skipped, audited). A failing handler stops the scan.
    /// </summary>
    private byte[]? DecideScanned(byte[] key, byte[] value, PolicyContext context, string? limitNote)
    {
        RuleTable rules = Volatile.Read(ref _rules);
        var before = new PolicyEvaluation(PolicyTrigger.BeforeRead, key, default, context);
        DecisionOutcome outcome = DecisionOutcome.Of(ref before, RunDecisions(ref before, rules, OperationScratch.Current), default, limitNote);
        if (outcome.Result == AuditResult.Allowed || outcome.Result == AuditResult.WouldDeny || outcome.Result == AuditResult.Modified)
        {
            var after = new PolicyEvaluation(PolicyTrigger.AfterRead, key, value, context);
            outcome = DecisionOutcome.Of(ref after, RunDecisions(ref after, rules, OperationScratch.Current), outcome.Shadow, limitNote);
        }

        if (outcome.Result == AuditResult.ApprovalRequired)
        {
            return SkipScannedForApproval(ref before);
        }

        if (outcome.IsRefusal)
        {
            PolicyViolationException refusal = Refuse(PolicyOperation.Read, key, context, in outcome);
            return outcome.Cause == PolicyRefusalCause.Denied ? null : throw refusal;
        }

        Record(PolicyOperation.Read, key, context, in outcome);
        return outcome.ModifiedValue is { } modified ? (byte[])modified.Clone() : value;
    }

    /// <summary>The synchronous face of a pipeline run with <c>async: false</c>, whose every step has completed when it returns.</summary>
    private static IEnumerable<T> Blocking<T>(IAsyncEnumerable<T> run)
    {
        IAsyncEnumerator<T> items = run.GetAsyncEnumerator();
        try
        {
            while (CompletedSynchronously(items.MoveNextAsync()))
            {
                yield return items.Current;
            }
        }
        finally
        {
            CompletedSynchronously(items.DisposeAsync());
        }
    }
}
