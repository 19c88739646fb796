using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using SochDb.Policy.Audit;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// The audit ring's part of T3, taken apart: the product's append (a shared sequence reservation and a compare-and-swap
/// that claims the slot) against two prototypes that drop one or both atomic operations. Neither prototype is safe as
/// a product ring (see docs/benchmarks.md): "sequence only" can tear a slot when the ring laps a slow writer, and
/// "per-thread segment" has no order across threads. They measure what those guarantees cost on one thread.
/// </summary>
[MemoryDiagnoser]
public class AuditAppendPrototypes
{
    private const int Capacity = 10_000;
    private static readonly byte[] Key = "t1/system/config"u8.ToArray();

    [ThreadStatic]
    private static PrototypeSegment? t_segment;

    private AuditLog _ring = null!;
    private PrototypeSlot[] _slots = null!;
    private long _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _ring = new AuditLog(Capacity);
        _slots = new PrototypeSlot[Capacity];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new PrototypeSlot();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        long checksum = 0;
        foreach (PrototypeSlot slot in _slots)
        {
            checksum ^= slot.Checksum();
        }

        GC.KeepAlive(checksum);
    }

    [Benchmark(Baseline = true, Description = "ring append (sequence + slot CAS), as shipped")]
    public long RingAppend()
    {
        var draft = Draft();
        return _ring.Append(in draft);
    }

    [Benchmark(Description = "prototype: sequence only, no slot claim (tears when the ring laps)")]
    public long SequenceOnly()
    {
        var draft = Draft();
        long sequence = Interlocked.Increment(ref _sequence) - 1;
        _slots[(int)(sequence % Capacity)].Write(sequence, in draft);
        return sequence;
    }

    [Benchmark(Description = "prototype: per-thread segment, no atomics (no order across threads)")]
    public long PerThreadSegment()
    {
        var draft = Draft();
        PrototypeSegment segment = t_segment ??= new PrototypeSegment(Capacity);
        long sequence = segment.Next++;
        segment.Slots[(int)(sequence % Capacity)].Write(sequence, in draft);
        return sequence;
    }

    private static AuditDraft Draft() =>
        new(DateTime.UtcNow.Ticks, PolicyOperation.Write, Key, keyMasked: false, AuditResult.Allowed, "agent_001", "s1", null, null, default, default);

    private sealed class PrototypeSegment
    {
        public PrototypeSegment(int capacity)
        {
            Slots = new PrototypeSlot[capacity];
            for (int i = 0; i < capacity; i++)
            {
                Slots[i] = new PrototypeSlot();
            }
        }

        public PrototypeSlot[] Slots { get; }

        public long Next { get; set; }
    }

    /// <summary>The ring slot's fields and copy, published with a release store instead of claimed with a CAS.</summary>
    private sealed class PrototypeSlot
    {
        private long _state = -1;
        private long _utcTicks;
        private PolicyOperation _operation;
        private AuditResult _result;
        private byte[] _key = new byte[32];
        private int _keyLength;
        private string? _agentId;
        private string? _sessionId;
        private ActivityTraceId _traceId;
        private ActivitySpanId _spanId;

        /// <summary>Reads every field back (so none is dead), as a reader of the slot would.</summary>
        public long Checksum() =>
            Volatile.Read(ref _state) ^ _utcTicks ^ (long)_operation ^ (long)_result ^ _keyLength ^ _key[0]
            ^ (_agentId?.Length ?? 0) ^ (_sessionId?.Length ?? 0) ^ _traceId.GetHashCode() ^ _spanId.GetHashCode();

        public void Write(long sequence, in AuditDraft draft)
        {
            _utcTicks = draft.UtcTicks;
            _operation = draft.Operation;
            _result = draft.Result;
            _traceId = draft.TraceId;
            _spanId = draft.SpanId;
            ReadOnlySpan<byte> key = draft.Key;
            if (_key.Length < key.Length)
            {
                _key = new byte[key.Length];
            }

            key.CopyTo(_key);
            _keyLength = key.Length;
            if (!ReferenceEquals(_agentId, draft.AgentId))
            {
                _agentId = draft.AgentId;
            }

            if (!ReferenceEquals(_sessionId, draft.SessionId))
            {
                _sessionId = draft.SessionId;
            }

            Volatile.Write(ref _state, sequence);
        }
    }
}
