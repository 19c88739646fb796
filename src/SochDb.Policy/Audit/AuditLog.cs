using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace SochDb.Policy.Audit;

/// <summary>
/// A ring buffer of the newest <see cref="Capacity"/> entries. A writer reserves a sequence number with one interlocked
/// increment and writes it in place into slot <c>sequence % Capacity</c> (see <see cref="AuditSlot"/>); readers turn
/// slots into <see cref="AuditEntry"/> objects only when asked. Slots are created on first use and then reused, so
/// once the ring has gone round once, recording an entry allocates nothing.
/// </summary>
/// <remarks>
/// Resizing never loses an entry: <see cref="Resize"/> seals this log (one interlocked add on the sequence counter,
/// after which every reservation fails), waits for the entries already reserved here to be complete, copies the
/// newest of them into the new log, which numbers on from the first sequence this log never handed out, and only then
/// publishes it as this log's successor. A writer whose reservation failed appends to the successor instead, so each
/// outcome is recorded exactly once whatever the timing; writers pay nothing for this but a comparison.
/// </remarks>
internal sealed class AuditLog
{
    // Added to the sequence counter when the log is sealed: every reservation after it is at least this large.
    private const long SealedOffset = 1L << 62;

    private readonly AuditSlot?[] _slots;
    private long _next;
    private AuditLog? _successor;

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

    /// <summary>The newest log of this lineage: this one, or the successor of a resize.</summary>
    public AuditLog Current
    {
        get
        {
            AuditLog log = this;
            while (Volatile.Read(ref log._successor) is { } successor)
            {
                log = successor;
            }

            return log;
        }
    }

    /// <summary>
    /// Records one entry under the next sequence number (in the successor if this log was resized meanwhile) and
    /// returns that number.
    /// </summary>
    public long Append(in AuditDraft draft)
    {
        AuditLog log = this;
        while (true)
        {
            long sequence = Interlocked.Increment(ref log._next) - 1;
            if (sequence < SealedOffset)
            {
                log.SlotFor(sequence).Write(sequence, in draft);
                return sequence;
            }

            log = log.AwaitSuccessor();
        }
    }

    /// <summary>The newest <paramref name="limit"/> entries that pass the filters, oldest first.</summary>
    public List<AuditEntry> Read(int limit, string? agentId, PolicyOperation? operation)
    {
        long end = Volatile.Read(ref _next);
        if (end >= SealedOffset)
        {
            // Resized: the successor holds everything this log held (reads wait out the copy).
            return AwaitSuccessor().Read(limit, agentId, operation);
        }

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
    /// Seals this log and returns its successor of <paramref name="capacity"/> entries, holding the newest entries of
    /// this one (every entry reserved here before the seal is either copied or older than the new capacity). Callers
    /// serialize resizes of one lineage; writers may run throughout.
    /// </summary>
    public AuditLog Resize(int capacity)
    {
        AuditLog current = Current;
        long end = Interlocked.Add(ref current._next, SealedOffset) - SealedOffset;
        var resized = new AuditLog(capacity, end);
        long start = Math.Max(0, end - Math.Min(capacity, current._slots.Length));
        for (long sequence = start; sequence < end; sequence++)
        {
            current.CopyWhenComplete(sequence, resized);
        }

        Volatile.Write(ref current._successor, resized);
        return resized;
    }

    /// <summary>Waits until entry <paramref name="sequence"/> of this sealed log is written (or lapped), then copies it.</summary>
    private void CopyWhenComplete(long sequence, AuditLog target)
    {
        SpinWait spinner = default;
        while (true)
        {
            AuditSlot? slot = Volatile.Read(ref _slots[IndexOf(sequence)]);
            switch (slot?.StateOf(sequence) ?? AuditSlotState.Pending)
            {
                case AuditSlotState.Complete:
                    if (slot!.TryRead(sequence, agentIdFilter: null, operationFilter: null) is { } entry)
                    {
                        var draft = new AuditDraft(entry.Timestamp.UtcTicks, entry.Operation, entry.KeyBytes, entry.IsKeyMasked,
                            entry.Result, entry.AgentId, entry.SessionId, entry.Rule, entry.Reason,
                            entry.TraceId is null ? default : ActivityTraceId.CreateFromString(entry.TraceId),
                            entry.SpanId is null ? default : ActivitySpanId.CreateFromString(entry.SpanId));
                        target.SlotFor(sequence).Write(sequence, in draft);
                        return;
                    }

                    // Lapped between the state check and the copy: a newer entry holds the slot.
                    return;
                case AuditSlotState.Superseded:
                    return;
                default:
                    // Reserved before the seal and still being written: its writer is a few instructions away.
                    spinner.SpinOnce();
                    break;
            }
        }
    }

    private AuditLog AwaitSuccessor()
    {
        SpinWait spinner = default;
        AuditLog? successor;
        while ((successor = Volatile.Read(ref _successor)) is null)
        {
            spinner.SpinOnce();
        }

        return successor;
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
