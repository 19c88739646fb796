using System;
using System.Collections.Generic;
using System.Threading;
using SochDb.Policy.Audit;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    // The log being written (null while audit is off) and the log read by GetAuditLog (kept after DisableAudit).
    private AuditLog? _activeAudit;
    private AuditLog? _audit;

    /// <summary>Whether outcomes are being recorded.</summary>
    public bool IsAuditEnabled => Volatile.Read(ref _activeAudit) is not null;

    /// <summary>
    /// Starts recording one entry per operation outcome in a ring buffer of the newest <paramref name="maxEntries"/>.
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
            AuditLog log = _audit is null ? new AuditLog(maxEntries)
                : _audit.Capacity == maxEntries ? _audit
                : _audit.Resize(maxEntries);
            Volatile.Write(ref _audit, log);
            Volatile.Write(ref _activeAudit, log);
        }
    }

    /// <summary>Stops recording. Entries recorded so far stay readable with <see cref="GetAuditLog"/>.</summary>
    public void DisableAudit()
    {
        lock (_registrationLock)
        {
            Volatile.Write(ref _activeAudit, null);
        }
    }

    /// <summary>
    /// The newest <paramref name="limit"/> entries matching the filters, oldest first. Filters apply before the limit.
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
}
