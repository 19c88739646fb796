using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using SochDb.Policy.Audit;
using SochDb.Policy.Engine;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Every entry whose key starts with <paramref name="prefix"/> (empty: all) that the policies let the caller see,
    /// in key order, streamed from the store. Enumeration first takes a read token (before the store is touched, so a
    /// throttled caller costs the store nothing); then each examined key goes through the steps of a Get: it takes a
    /// read token (the first key uses the one already taken; when none is left, enumeration stops with
    /// <see cref="RateLimitExceededException"/>), BeforeRead handlers (a denied key is skipped and audited), then AfterRead
    /// handlers (denied: skipped and audited; modified: the modified value is yielded). A failing handler or store stops
    /// enumeration with <see cref="PolicyViolationException"/> or the store's exception, as in Get.
    /// </summary>
    /// <exception cref="RateLimitExceededException">During enumeration: a read limit has no token.</exception>
    /// <exception cref="PolicyViolationException">During enumeration: a handler failed.</exception>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix, PolicyContext? context = null) =>
        ScanCore(prefix.ToArray(), context ?? PolicyContext.Empty);

    /// <summary>Every entry whose key starts with the UTF-8 <paramref name="prefix"/> that the policies let the caller see.</summary>
    /// <inheritdoc cref="Scan(ReadOnlySpan{byte}, PolicyContext?)"/>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> is null.</exception>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(string prefix, PolicyContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return ScanCore(System.Text.Encoding.UTF8.GetBytes(prefix), context ?? PolicyContext.Empty);
    }

    /// <summary>The asynchronous twin of <see cref="Scan(ReadOnlySpan{byte}, PolicyContext?)"/>, streamed from the store.</summary>
    /// <inheritdoc cref="Scan(ReadOnlySpan{byte}, PolicyContext?)"/>
    public IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(ReadOnlyMemory<byte> prefix, PolicyContext? context = null,
        CancellationToken cancellationToken = default) =>
        ScanAsyncCore(prefix.ToArray(), context ?? PolicyContext.Empty, cancellationToken);

    /// <summary>The asynchronous twin of <see cref="Scan(string, PolicyContext?)"/>.</summary>
    /// <inheritdoc cref="Scan(string, PolicyContext?)"/>
    public IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(string prefix, PolicyContext? context = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return ScanAsyncCore(System.Text.Encoding.UTF8.GetBytes(prefix), context ?? PolicyContext.Empty, cancellationToken);
    }

    private IEnumerable<KeyValuePair<byte[], byte[]>> ScanCore(byte[] prefix, PolicyContext context)
    {
        CheckAdmission(PolicyOperation.Read, prefix, context);
        string? note = AcquireOrThrow(LimitDemand.Single(PolicyOperation.Read), prefix, context);
        bool holdsToken = true;
        IEnumerator<KeyValuePair<byte[], byte[]>> entries;
        try
        {
            entries = _store.Scan(prefix).GetEnumerator();
        }
        catch (Exception exception)
        {
            RecordStoreFailure(PolicyOperation.Read, prefix, context, exception, " (scan)");
            throw;
        }

        using (entries)
        {
            while (true)
            {
                KeyValuePair<byte[], byte[]> entry;
                try
                {
                    if (!entries.MoveNext())
                    {
                        yield break;
                    }

                    entry = entries.Current;
                }
                catch (Exception exception)
                {
                    RecordStoreFailure(PolicyOperation.Read, prefix, context, exception, " (scan)");
                    throw;
                }

                if (!holdsToken)
                {
                    note = AcquireOrThrow(LimitDemand.Single(PolicyOperation.Read), entry.Key, context);
                }

                holdsToken = false;
                if (TryAdmit(entry.Key, entry.Value, context, note, out byte[] visible))
                {
                    yield return new KeyValuePair<byte[], byte[]>(entry.Key, visible);
                }
            }
        }
    }

    private async IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsyncCore(byte[] prefix, PolicyContext context,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CheckAdmission(PolicyOperation.Read, prefix, context);
        string? note = await AcquireOrThrowAsync(LimitDemand.Single(PolicyOperation.Read), prefix, context, cancellationToken).ConfigureAwait(false);
        bool holdsToken = true;
        IAsyncEnumerator<KeyValuePair<byte[], byte[]>> entries;
        try
        {
            entries = _store.ScanAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception exception)
        {
            RecordStoreFailure(PolicyOperation.Read, prefix, context, exception, " (scan)");
            throw;
        }

        try
        {
            while (true)
            {
                KeyValuePair<byte[], byte[]> entry;
                try
                {
                    if (!await entries.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }

                    entry = entries.Current;
                }
                catch (Exception exception)
                {
                    RecordStoreFailure(PolicyOperation.Read, prefix, context, exception, " (scan)");
                    throw;
                }

                if (!holdsToken)
                {
                    note = await AcquireOrThrowAsync(LimitDemand.Single(PolicyOperation.Read), entry.Key, context, cancellationToken).ConfigureAwait(false);
                }

                holdsToken = false;
                if (TryAdmit(entry.Key, entry.Value, context, note, out byte[] visible))
                {
                    yield return new KeyValuePair<byte[], byte[]>(entry.Key, visible);
                }
            }
        }
        finally
        {
            await entries.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One scanned item through BeforeRead and AfterRead (its token already taken). False: denied (and audited).</summary>
    private bool TryAdmit(byte[] key, byte[] value, PolicyContext context, string? limitNote, out byte[] visible)
    {
        visible = value;
        RuleTable rules = Volatile.Read(ref _rules);

        var before = new PolicyEvaluation(PolicyTrigger.BeforeRead, key, default, context);
        if (!DecideScanned(ref before, rules))
        {
            return false;
        }

        var after = new PolicyEvaluation(PolicyTrigger.AfterRead, key, value, context);
        if (!DecideScanned(ref after, rules))
        {
            return false;
        }

        if (after.IsModified)
        {
            visible = after.Value.ToArray();
        }

        RecordOutcome(PolicyOperation.Read, key, context, after.ModifyingRule, ShadowNote.Of(before).Then(after), limitNote);
        return true;
    }

    /// <summary>A scanned key's decision: a denial skips the key (audited); a failure stops the scan.</summary>
    private bool DecideScanned(ref PolicyEvaluation evaluation, RuleTable rules)
    {
        Exception? failure = RunDecisions(ref evaluation, rules);
        if (failure is null && !evaluation.IsDenied)
        {
            return !evaluation.RequiresApproval || SkipScannedForApproval(ref evaluation);
        }

        PolicyViolationException refusal = Refuse(ref evaluation, PolicyOperation.Read, failure);
        if (failure is not null || evaluation.IsFaulted)
        {
            throw refusal;
        }

        return false;
    }
}
