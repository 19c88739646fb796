using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    // What operations record into (null while audit is off), the ring Audit.Recent reads (kept after Audit.Disable),
    // and the options of the last Audit.Enable (Audit.Enable(int) keeps its sinks).
    private AuditRecorder? _recorder;
    private AuditLog? _audit;
    private AuditOptions _auditOptions = new();

    /// <summary>The background writer in front of the sinks; null while audit is off or has no sink.</summary>
    internal AuditPipeline? AuditWriter => Volatile.Read(ref _recorder)?.Pipeline;

    private PolicyAudit? _auditFacet;

    /// <summary>
    /// The decision log: turn it on or off, read the newest entries, flush, verify the hash chain of the durable log
    /// and query it. See docs/audit.md.
    /// </summary>
    public PolicyAudit Audit =>
        Volatile.Read(ref _auditFacet) ?? Interlocked.CompareExchange(ref _auditFacet, new PolicyAudit(this), null) ?? _auditFacet!;

    /// <summary>Whether outcomes are being recorded.</summary>
    internal bool IsAuditEnabled => Volatile.Read(ref _recorder) is not null;

    /// <summary>The ring the facet reads; null until audit was first enabled with a ring.</summary>
    internal AuditLog? AuditRing => Volatile.Read(ref _audit);

    /// <summary>Returns once every entry recorded so far has been taken by every sink.</summary>
    internal void FlushAudit() => Volatile.Read(ref _recorder)?.Pipeline?.Flush();

    /// <summary>Applies audit options under the registration lock (the facet's Enable).</summary>
    internal void EnableAudit(Func<AuditOptions, AuditOptions> change)
    {
        lock (_registrationLock)
        {
            EnableAuditLocked(change(_auditOptions));
        }
    }

    /// <summary>Stops recording; queued entries are written first (the facet's Disable).</summary>
    internal void DisableAudit()
    {
        lock (_registrationLock)
        {
            AuditRecorder? old = Volatile.Read(ref _recorder);
            Volatile.Write(ref _recorder, null);
            old?.Pipeline?.Close(successor: null);
        }
    }

    internal AuditLedger Ledger()
    {
        AuditOptions options = Volatile.Read(ref _auditOptions);
        foreach (AuditSink sink in options.Sinks)
        {
            if (AuditLedger.Of(sink) is { } ledger)
            {
                return ledger;
            }
        }

        throw new InvalidOperationException("No audit sink is a durable log (a SqliteAuditSink or a PostgresAuditSink): add one with EnableAudit(AuditOptions).");
    }

    private void EnableAuditLocked(AuditOptions options)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closing) != 0, this);
        AuditLedger? withWrite = options.Durability == AuditDurability.WithWrite ? LedgerWrittenWithData(options) : null;
        AuditKeyMask? mask = AuditKeyMask.Create(options.MaskedKeys, options.MaskKey);
        AuditLog? ring = null;
        if (options.RingSize > 0)
        {
            ring = _audit is null ? new AuditLog(options.RingSize)
                : _audit.Current.Capacity == options.RingSize ? _audit.Current
                : _audit.Resize(options.RingSize);
        }

        AuditRecorder? old = Volatile.Read(ref _recorder);
        AuditPipeline? oldPipeline = old?.Pipeline;
        AuditPipeline? pipeline;
        if (oldPipeline is not null && PipelinePart(_auditOptions) == PipelinePart(options))
        {
            pipeline = oldPipeline;
        }
        else
        {
            pipeline = options.Sinks.Count > 0 ? new AuditPipeline(options, _metrics) : null;

            // Entries recorded through the old pipeline from now on are forwarded to the new one, whose writer starts
            // once the old one has drained: each outcome reaches exactly one set of sinks, in order.
            oldPipeline?.Close(pipeline);
            pipeline?.Start();
        }

        Volatile.Write(ref _audit, ring ?? _audit);
        Volatile.Write(ref _auditOptions, options);
        Volatile.Write(ref _recorder, new AuditRecorder(ring, pipeline, mask, withWrite));
    }

    /// <summary>
    /// The durable log that <see cref="AuditDurability.WithWrite"/> writes in the store's transactions: the first
    /// ledger among the sinks, which must live in the store's own database.
    /// </summary>
    /// <exception cref="InvalidOperationException">The store cannot do it, or the log is elsewhere (the message says which).</exception>
    private AuditLedger LedgerWrittenWithData(AuditOptions options)
    {
        AuditLedger ledger = options.FirstLedger()!; // Validate made sure there is one
        if (_store is not ITransactionalAuditStore store)
        {
            throw new InvalidOperationException(
                $"AuditOptions.Durability is WithWrite, but the engine's store ({_store.GetType().Name}) cannot write decision entries in its own " +
                "transactions: use a store opened with Database.Open and a SqliteAuditSink on the same file (or the PostgreSQL store and sink on one database), " +
                "or AuditDurability.Queued.");
        }

        if (!store.SharesDatabaseWith(ledger))
        {
            throw new InvalidOperationException(
                $"AuditOptions.Durability is WithWrite, but the durable audit log {ledger.Name} (the first durable log among the sinks) is not in the " +
                "engine's store's database, so no one transaction can cover a write and its entry: open the sink on the store's own database, " +
                "or use AuditDurability.Queued.");
        }

        return ledger;
    }

    /// <summary>
    /// The options with what the background writer does not read (the ring, the key masks) set aside: when these are equal
    /// the writer and its sinks are kept; any other difference, in any field present or future, starts a new writer.
    /// </summary>
    private static AuditOptions PipelinePart(AuditOptions options) =>
        options with { RingSize = 0, MaskedKeys = ValueList<string>.Empty, MaskKey = null };
}
