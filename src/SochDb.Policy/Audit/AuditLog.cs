using System;
using System.Collections.Generic;
using System.Threading;

namespace SochDb.Policy.Audit;

/// <summary>
/// A lock-free ring buffer of the newest <see cref="Capacity"/> entries. A writer reserves a sequence number with one
/// interlocked increment and publishes its entry into slot <c>sequence % Capacity</c>; a reader trusts a slot only
/// when the entry's sequence is the one it expects there, so it never returns a half-written or overwritten slot.
/// </summary>
internal sealed class AuditLog
{
    private readonly AuditEntry?[] _slots;
    private long _next;

    public AuditLog(int capacity)
        : this(capacity, 0)
    {
    }

    private AuditLog(int capacity, long next)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _slots = new AuditEntry?[capacity];
        _next = next;
    }

    public int Capacity => _slots.Length;

    /// <summary>Number of entries ever reserved (the next sequence number).</summary>
    public long TotalRecorded => Volatile.Read(ref _next);

    /// <summary>Reserves the next sequence number; the caller then builds the entry and <see cref="Publish"/>es it.</summary>
    public long Reserve() => Interlocked.Increment(ref _next) - 1;

    public void Publish(AuditEntry entry)
    {
        ref AuditEntry? slot = ref _slots[entry.Sequence % _slots.Length];
        AuditEntry? current = Volatile.Read(ref slot);
        while (current is null || current.Sequence < entry.Sequence)
        {
            AuditEntry? seen = Interlocked.CompareExchange(ref slot, entry, current);
            if (ReferenceEquals(seen, current))
            {
                return;
            }

            current = seen;
        }

        // A newer entry already took the slot: this one has fallen out of the ring, as it would have anyway.
    }

    /// <summary>The newest <paramref name="limit"/> entries that pass the filters, oldest first.</summary>
    public List<AuditEntry> Read(int limit, string? agentId, PolicyOperation? operation)
    {
        long end = Volatile.Read(ref _next);
        long start = Math.Max(0, end - _slots.Length);
        var picked = new List<AuditEntry>((int)Math.Min(limit, Math.Min(end - start, 1024)));
        for (long sequence = end - 1; sequence >= start && picked.Count < limit; sequence--)
        {
            AuditEntry? entry = Volatile.Read(ref _slots[sequence % _slots.Length]);
            if (entry is null || entry.Sequence != sequence)
            {
                // Reserved but not yet published, or already overwritten by a newer entry.
                continue;
            }

            if (agentId is not null && !string.Equals(entry.AgentId, agentId, StringComparison.Ordinal))
            {
                continue;
            }

            if (operation is { } op && op != PolicyOperation.All && entry.Operation != op)
            {
                continue;
            }

            picked.Add(entry);
        }

        picked.Reverse();
        return picked;
    }

    /// <summary>
    /// A log of <paramref name="capacity"/> entries holding the newest entries of this one, numbering on. An operation
    /// in flight at the instant of the swap may still publish into this (old) log; resizing is an administrative act,
    /// and that entry is the only one that can be missed.
    /// </summary>
    public AuditLog Resize(int capacity)
    {
        long end = Volatile.Read(ref _next);
        var resized = new AuditLog(capacity, end);
        foreach (AuditEntry entry in Read(capacity, agentId: null, operation: null))
        {
            resized._slots[entry.Sequence % capacity] = entry;
        }

        return resized;
    }
}
