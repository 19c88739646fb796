using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.Diagnostics;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    // What operations record into (null while audit is off), the ring GetAuditLog reads (kept after DisableAudit),
    // and the options of the last EnableAudit (EnableAudit(int) keeps its sinks).
    private AuditRecorder? _recorder;
    private AuditLog? _audit;
    private AuditOptions _auditOptions = new();

    /// <summary>The background writer in front of the sinks; null while audit is off or has no sink.</summary>
    internal AuditPipeline? AuditWriter => Volatile.Read(ref _recorder)?.Pipeline;

    /// <summary>Whether outcomes are being recorded.</summary>
    public bool IsAuditEnabled => Volatile.Read(ref _recorder) is not null;

    /// <summary>
    /// Starts recording one entry per operation outcome in a ring buffer of the newest <paramref name="maxEntries"/>
    /// (and in the sinks of the last <see cref="EnableAudit(AuditOptions)"/>, if any).
    /// Enabling again keeps the entries recorded so far (the newest of them, if the new size is smaller).
    /// Slots are reused once the ring has gone round: recording then allocates nothing; <see cref="GetAuditLog"/> builds
    /// the entries it returns.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxEntries"/> is not positive.</exception>
    public void EnableAudit(int maxEntries = 10_000)
    {
        if (maxEntries <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxEntries), maxEntries,
                "The audit log keeps at least 1 entry; maxEntries must be positive.");
        }

        lock (_registrationLock)
        {
            EnableAuditLocked(_auditOptions with { RingSize = maxEntries });
        }
    }

    /// <summary>
    /// Starts recording with <paramref name="options"/>: the in-memory ring, sinks behind a bounded queue drained by
    /// one background writer, key masks, and what happens on overflow or sink failure (see docs/audit.md). Entries
    /// already in the ring stay; sinks of an earlier call receive everything recorded before this call, and these
    /// sinks everything after it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range or a mask pattern is not valid (the message names it).</exception>
    /// <exception cref="InvalidOperationException"><see cref="AuditOptions.Durability"/> is <see cref="AuditDurability.WithWrite"/>
    /// and the engine's store cannot write the first durable log's entries in its transactions (another kind of store,
    /// or the log is in another database); the message says which.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public void EnableAudit(AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (_registrationLock)
        {
            EnableAuditLocked(options);
        }
    }

    /// <summary>
    /// Stops recording. Entries recorded so far stay readable with <see cref="GetAuditLog"/>; entries queued for sinks
    /// are written before this returns.
    /// </summary>
    /// <exception cref="System.IO.IOException">A durable sink kept failing, so queued entries could not be written.</exception>
    public void DisableAudit()
    {
        lock (_registrationLock)
        {
            AuditRecorder? old = Volatile.Read(ref _recorder);
            Volatile.Write(ref _recorder, null);
            old?.Pipeline?.Close(successor: null);
        }
    }

    /// <summary>
    /// The newest <paramref name="limit"/> entries of the in-memory ring matching the filters, oldest first. Filters apply before the limit.
    /// </summary>
    /// <param name="limit">How many entries at most.</param>
    /// <param name="agentId">Only entries of this agent (ordinal comparison); null for all.</param>
    /// <param name="operation">Only entries of this operation; null or <see cref="PolicyOperation.All"/> for all.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not positive, or <paramref name="operation"/> is not defined.</exception>
    public IReadOnlyList<AuditEntry> GetAuditLog(int limit = 100, string? agentId = null, PolicyOperation? operation = null)
    {
        if (limit <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be positive.");
        }

        if (operation is { } op && (op < PolicyOperation.Read || op > PolicyOperation.All))
        {
            throw new ArgumentOutOfRangeException(nameof(operation), op, "operation is Read, Write, Delete or All.");
        }

        AuditLog? log = Volatile.Read(ref _audit);
        return log is null ? Array.Empty<AuditEntry>() : log.Read(limit, agentId, operation);
    }

    /// <summary>Returns once every entry recorded so far has been taken by every sink (committed, for durable sinks).</summary>
    /// <exception cref="System.IO.IOException">A durable sink failed meanwhile; the entries stay queued and are retried.</exception>
    public void FlushAudit() => Volatile.Read(ref _recorder)?.Pipeline?.Flush();

    /// <inheritdoc cref="FlushAudit"/>
    public ValueTask FlushAuditAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _recorder)?.Pipeline?.FlushAsync(cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>The counters of the queue in front of the sinks (all zero without sinks).</summary>
    public AuditStatus AuditStatus => Volatile.Read(ref _recorder)?.Pipeline?.Status() ?? new AuditStatus();

    /// <summary>
    /// Flushes the audit log, then walks the hash chain of the first durable log among the sinks
    /// (<see cref="AuditLedger.Verify()"/>): the result names the first broken entry, if any.
    /// </summary>
    /// <exception cref="InvalidOperationException">No sink is an <see cref="AuditLedger"/>.</exception>
    public AuditVerification VerifyAuditLog()
    {
        FlushAudit();
        return Ledger().Verify();
    }

    /// <summary>Flushes the audit log, then streams the records of the first durable log among the sinks that match <paramref name="query"/>.</summary>
    /// <exception cref="InvalidOperationException">No sink is an <see cref="AuditLedger"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A field of <paramref name="query"/> is out of range.</exception>
    public IEnumerable<AuditRecord> QueryAudit(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        FlushAudit();
        return Ledger().Query(query);
    }

    private AuditLedger Ledger()
    {
        AuditOptions options = Volatile.Read(ref _auditOptions);
        foreach (AuditSink sink in options.Sinks)
        {
            if (sink is AuditLedger ledger)
            {
                return ledger;
            }
        }

        throw new InvalidOperationException("No audit sink is a durable log (an AuditLedger such as SqliteAuditSink): add one with EnableAudit(AuditOptions).");
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
                $"AuditOptions.Durability is WithWrite, but the durable audit log {ledger.Name} (the first AuditLedger among the sinks) is not in the " +
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
