using System;
using System.Diagnostics;
using System.Threading;

namespace SochDb.Policy.Audit;

/// <summary>
/// One reusable slot of the audit ring, written in place under a sequence lock. <c>_state</c> is
/// <c>sequence × 2</c> once that entry is complete and <c>sequence × 2 + 1</c> while it is being written. A writer
/// claims the slot with a compare-and-swap only for a sequence newer than the one there, so an older entry never
/// overwrites a newer one; a reader copies the fields and keeps them only if the state was the complete state of the
/// sequence it wanted both before and after the copy, so it never returns a torn or overwritten entry.
/// </summary>
internal sealed class AuditSlot
{
    private const long Empty = -2; // the complete state of sequence -1: older than every real entry

    // A key buffer keeps its size between entries; one that is far larger than the key it now holds is replaced,
    // so a slot never retains more than a few times the bytes of its current key (plus this floor).
    private const int RetainedKeyFloor = 256;

    private long _state = Empty;
    private long _utcTicks;
    private PolicyOperation _operation;
    private AuditResult _result;
    private byte[] _key = Array.Empty<byte>();
    private int _keyLength;
    private string? _agentId;
    private string? _sessionId;
    private string? _rule;
    private string? _reason;
    private ActivityTraceId _traceId;
    private ActivitySpanId _spanId;
    private bool _keyMasked;

    /// <summary>Writes entry <paramref name="sequence"/> unless a newer one already holds the slot.</summary>
    public void Write(long sequence, in AuditDraft draft)
    {
        long claimed = (sequence << 1) | 1;
        long current = Volatile.Read(ref _state);
        SpinWait spinner = default;
        while (true)
        {
            if (current >> 1 >= sequence)
            {
                // A newer entry holds the slot: this one has fallen out of the ring, as it would have anyway.
                return;
            }

            if ((current & 1) != 0)
            {
                // An older entry is still being written here (the ring lapped it); it finishes in a few instructions.
                spinner.SpinOnce();
                current = Volatile.Read(ref _state);
                continue;
            }

            long seen = Interlocked.CompareExchange(ref _state, claimed, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        _utcTicks = draft.UtcTicks;
        _operation = draft.Operation;
        _result = draft.Result;
        _keyMasked = draft.KeyMasked;
        _traceId = draft.TraceId;
        _spanId = draft.SpanId;
        ReadOnlySpan<byte> key = draft.Key;
        string? agentId = draft.AgentId;
        string? sessionId = draft.SessionId;
        string? rule = draft.Rule;
        string? reason = draft.Reason;
        byte[] buffer = _key;
        if (buffer.Length < key.Length || (buffer.Length > RetainedKeyFloor && key.Length < buffer.Length / 4))
        {
            buffer = new byte[(key.Length + 31) & ~31];
            _key = buffer;
        }

        key.CopyTo(buffer);
        _keyLength = key.Length;
        // A caller usually records the same strings entry after entry: skipping equal stores skips their GC write
        // barriers. Readers see the same values either way.
        if (!ReferenceEquals(_agentId, agentId))
        {
            _agentId = agentId;
        }

        if (!ReferenceEquals(_sessionId, sessionId))
        {
            _sessionId = sessionId;
        }

        if (!ReferenceEquals(_rule, rule))
        {
            _rule = rule;
        }

        if (!ReferenceEquals(_reason, reason))
        {
            _reason = reason;
        }

        Volatile.Write(ref _state, sequence << 1);
    }

    /// <summary>
    /// Entry <paramref name="sequence"/> if it is complete, still here, and passes the filters; else null.
    /// </summary>
    public AuditEntry? TryRead(long sequence, string? agentIdFilter, PolicyOperation? operationFilter)
    {
        long expected = sequence << 1;
        if (Volatile.Read(ref _state) != expected)
        {
            // Reserved but not yet complete, or already overwritten by a newer entry.
            return null;
        }

        long utcTicks = _utcTicks;
        PolicyOperation operation = _operation;
        AuditResult result = _result;
        string? agentId = _agentId;
        string? sessionId = _sessionId;
        string? rule = _rule;
        string? reason = _reason;
        ActivityTraceId traceId = _traceId;
        ActivitySpanId spanId = _spanId;
        bool keyMasked = _keyMasked;
        byte[] buffer = _key;
        int length = _keyLength;

        // Checked before filtering: a consistent snapshot also guarantees that length fits the buffer.
        if (!IsUnchanged(expected))
        {
            return null;
        }

        if (agentIdFilter is not null && !string.Equals(agentId, agentIdFilter, StringComparison.Ordinal))
        {
            return null;
        }

        if (operationFilter is { } op && op != PolicyOperation.All && operation != op)
        {
            return null;
        }

        byte[] key = buffer.AsSpan(0, length).ToArray();

        // The key bytes are only trustworthy if no writer touched the slot while they were copied.
        return IsUnchanged(expected)
            ? new AuditEntry(sequence, new DateTimeOffset(utcTicks, TimeSpan.Zero), operation, key, result, agentId, sessionId, rule, reason,
                AuditDraft.TraceText(traceId), AuditDraft.SpanText(spanId), keyMasked)
            : null;
    }

    /// <summary>Where entry <paramref name="sequence"/> stands in this slot (used by a resize to wait for writers).</summary>
    public AuditSlotState StateOf(long sequence)
    {
        long state = Volatile.Read(ref _state);
        if (state == sequence << 1)
        {
            return AuditSlotState.Complete;
        }

        return state >> 1 > sequence ? AuditSlotState.Superseded : AuditSlotState.Pending;
    }

    private bool IsUnchanged(long expected)
    {
        // A full fence: the field reads above must not move below the second read of the state.
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _state) == expected;
    }
}

/// <summary>Where one entry stands in its slot.</summary>
internal enum AuditSlotState
{
    /// <summary>Reserved, not yet written (or being written).</summary>
    Pending,
    /// <summary>Written and still there.</summary>
    Complete,
    /// <summary>A newer entry holds the slot: this one has left the ring.</summary>
    Superseded,
}
