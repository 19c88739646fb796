using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;

namespace SochDb.Policy;

/// <summary>
/// The decision log of one <see cref="PolicyEngine"/> (<see cref="PolicyEngine.Audit"/>): one entry per operation
/// outcome, kept in an in-memory ring and written by one background writer to the durable sinks of
/// <see cref="AuditOptions.Sinks"/>. See docs/audit.md.
/// </summary>
public sealed class PolicyAudit
{
    private readonly PolicyEngine _engine;

    internal PolicyAudit(PolicyEngine engine) => _engine = engine;

    /// <summary>Whether outcomes are being recorded.</summary>
    public bool IsEnabled => _engine.IsAuditEnabled;

    /// <summary>
    /// Starts recording one entry per operation outcome in a ring buffer of the newest <paramref name="maxEntries"/>
    /// (and in the sinks of the last <see cref="Enable(AuditOptions)"/>, if any).
    /// Enabling again keeps the entries recorded so far (the newest of them, if the new size is smaller).
    /// Slots are reused once the ring has gone round: recording then allocates nothing; <see cref="Recent"/> builds
    /// the entries it returns.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxEntries"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public void Enable(int maxEntries = 10_000)
    {
        if (maxEntries <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxEntries), maxEntries,
                "The audit log keeps at least 1 entry; maxEntries must be positive.");
        }

        _engine.EnableAudit(current => current with { RingSize = maxEntries });
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
    public void Enable(AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _engine.EnableAudit(_ => options);
    }

    /// <summary>
    /// Stops recording. Entries recorded so far stay readable with <see cref="Recent"/>; entries queued for sinks
    /// are written before this returns.
    /// </summary>
    /// <exception cref="System.IO.IOException">A durable sink kept failing, so queued entries could not be written.</exception>
    public void Disable() => _engine.DisableAudit();

    /// <summary>
    /// The newest <paramref name="limit"/> entries of the in-memory ring matching the filters, oldest first. Filters
    /// apply before the limit.
    /// </summary>
    /// <param name="limit">How many entries at most.</param>
    /// <param name="agentId">Only entries of this agent (ordinal comparison); null for all.</param>
    /// <param name="operation">Only entries of this operation; null or <see cref="PolicyOperation.All"/> for all.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not positive, or <paramref name="operation"/> is not defined.</exception>
    public IReadOnlyList<AuditEntry> Recent(int limit = 100, string? agentId = null, PolicyOperation? operation = null)
    {
        if (limit <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be positive.");
        }

        if (operation is { } op && (op < PolicyOperation.Read || op > PolicyOperation.All))
        {
            throw new ArgumentOutOfRangeException(nameof(operation), op, "operation is Read, Write, Delete or All.");
        }

        AuditLog? log = _engine.AuditRing;
        return log is null ? Array.Empty<AuditEntry>() : log.Read(limit, agentId, operation);
    }

    /// <summary>Returns once every entry recorded so far has been taken by every sink (committed, for durable sinks).</summary>
    /// <exception cref="System.IO.IOException">A durable sink failed meanwhile; the entries stay queued and are retried.</exception>
    public void Flush() => _engine.FlushAudit();

    /// <inheritdoc cref="Flush"/>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) =>
        _engine.AuditWriter?.FlushAsync(cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>The counters of the queue in front of the sinks (all zero without sinks).</summary>
    public AuditStatus Status => _engine.AuditWriter?.Status() ?? new AuditStatus();

    /// <summary>
    /// Flushes, then walks the hash chain of the first durable log among the sinks (<see cref="SqliteAuditSink.Verify()"/>):
    /// the result names the first broken entry, if any.
    /// </summary>
    /// <exception cref="InvalidOperationException">No sink is a durable log (a <see cref="SqliteAuditSink"/> or a PostgreSQL audit sink).</exception>
    public AuditVerification Verify()
    {
        Flush();
        return _engine.Ledger().Verify();
    }

    /// <summary>
    /// Flushes, then walks the hash chain of the first durable log among the sinks and checks it reaches
    /// <paramref name="expectedHead"/> (a head published earlier by an <see cref="IAuditAnchor"/>): entries cut from
    /// the end, or a chain rebuilt after an edit, are reported.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="expectedHead"/> is null.</exception>
    /// <exception cref="InvalidOperationException">No sink is a durable log (a <see cref="SqliteAuditSink"/> or a PostgreSQL audit sink).</exception>
    public AuditVerification Verify(AuditHead expectedHead)
    {
        ArgumentNullException.ThrowIfNull(expectedHead);
        Flush();
        return _engine.Ledger().Verify(expectedHead);
    }

    /// <summary>Flushes, then streams the entries of the first durable log among the sinks that match <paramref name="query"/>, each with its link in the chain (<see cref="AuditEntry.Hash"/>).</summary>
    /// <exception cref="InvalidOperationException">No sink is a durable log (a <see cref="SqliteAuditSink"/> or a PostgreSQL audit sink).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A field of <paramref name="query"/> is out of range.</exception>
    public IEnumerable<AuditEntry> Query(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        Flush();
        return _engine.Ledger().Query(query);
    }

    /// <inheritdoc/>
    public override string ToString() => IsEnabled ? "audit on" : "audit off";
}
