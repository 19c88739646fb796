using System;
using System.Collections.Generic;
using System.Threading;

namespace SochDb.Policy.Audit;

/// <summary>
/// A ring buffer of the newest <see cref="Capacity"/> entries. A writer reserves a sequence number with one interlocked
/// increment and writes it in place into slot <c>sequence % Capacity</c> (see <see cref="AuditSlot"/>); readers turn
/// slots into <see cref="AuditEntry"/> objects only when asked. Slots are created on first use and then reused, so
/// once the ring has gone round once, recording an entry allocates nothing.
/// </summary>
internal sealed class AuditLog
{
    private readonly AuditSlot?[] _slots;
    private long _next;

    public AuditLog(int capacity)
        : this(capacity, 0)
    {
    }

    private AuditLog(int capacity, long next)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _slots = new AuditSlot?[capacity];
        _next = next;
    }

    public int Capacity => _slots.Length;

    /// <summary>Number of entries ever reserved (the next sequence number).</summary>
    public long TotalRecorded => Volatile.Read(ref _next);

    /// <summary>Records one entry under the next sequence number.</summary>
    public void Append(long utcTicks, PolicyOperation operation, ReadOnlySpan<byte> key, AuditResult result,
        string? agentId, string? sessionId, string? rule, string? reason)
    {
        long sequence = Interlocked.Increment(ref _next) - 1;
        SlotFor(sequence).Write(sequence, utcTicks, operation, key, result, agentId, sessionId, rule, reason);
    }

    /// <summary>The newest <paramref name="limit"/> entries that pass the filters, oldest first.</summary>
    public List<AuditEntry> Read(int limit, string? agentId, PolicyOperation? operation)
    {
        long end = Volatile.Read(ref _next);
        long start = Math.Max(0, end - _slots.Length);
        var picked = new List<AuditEntry>((int)Math.Min(limit, Math.Min(end - start, 1024)));
        for (long sequence = end - 1; sequence >= start && picked.Count < limit; sequence--)
        {
            AuditSlot? slot = Volatile.Read(ref _slots[IndexOf(sequence)]);
            if (slot?.TryRead(sequence, agentId, operation) is { } entry)
            {
                picked.Add(entry);
            }
        }

        picked.Reverse();
        return picked;
    }

    /// <summary>
    /// A log of <paramref name="capacity"/> entries holding the newest entries of this one, numbering on. An operation
    /// in flight at the instant of the swap may still write into this (old) log; resizing is an administrative act,
    /// and that entry is the only one that can be missed.
    /// </summary>
    public AuditLog Resize(int capacity)
    {
        long end = Volatile.Read(ref _next);
        var resized = new AuditLog(capacity, end);
        foreach (AuditEntry entry in Read(capacity, agentId: null, operation: null))
        {
            resized.SlotFor(entry.Sequence).Write(entry.Sequence, entry.Timestamp.UtcTicks, entry.Operation, entry.KeyBytes,
                entry.Result, entry.AgentId, entry.SessionId, entry.Rule, entry.Reason);
        }

        return resized;
    }

    // A 32-bit division where the sequence allows (the first four billion entries): it is several times cheaper.
    private int IndexOf(long sequence) =>
        (ulong)sequence <= uint.MaxValue ? (int)((uint)sequence % (uint)_slots.Length) : (int)(sequence % _slots.Length);

    private AuditSlot SlotFor(long sequence)
    {
        ref AuditSlot? slot = ref _slots[IndexOf(sequence)];
        AuditSlot? existing = Volatile.Read(ref slot);
        if (existing is not null)
        {
            return existing;
        }

        // First lap of the ring: two writers may race to create the slot; both then use the winner's.
        var created = new AuditSlot();
        return Interlocked.CompareExchange(ref slot, created, null) ?? created;
    }
}
