using System;
using System.Buffers;

namespace SochDb.Policy.Engine;

/// <summary>
/// The engine's own copy of a key or value for one operation: the bytes it judges are the bytes the store receives,
/// whatever the caller does to its buffer meanwhile. A synchronous call copies into a scratch buffer of its thread
/// (nothing allocated, nothing pooled: the call cannot outlive its thread's stack of calls); an asynchronous call, which
/// may hand the memory to a store that completes later, copies into a pooled array. Released (and cleared: the bytes may
/// be a secret) when the operation ends.
/// </summary>
internal readonly struct OwnedBytes
{
    private readonly byte[]? _array;
    private readonly int _length;
    private readonly OperationScratch? _scratch;

    private OwnedBytes(byte[]? array, int length, OperationScratch? scratch)
    {
        _array = array;
        _length = length;
        _scratch = scratch;
    }

    public int Length => _length;

    public ReadOnlySpan<byte> Span => _array is null ? default : new ReadOnlySpan<byte>(_array, 0, _length);

    public ReadOnlyMemory<byte> Memory => _array is null ? default : new ReadOnlyMemory<byte>(_array, 0, _length);

    /// <summary>A copy for a synchronous call: in this thread's scratch when it fits, else pooled.</summary>
    public static OwnedBytes ForSyncCall(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return default;
        }

        OperationScratch scratch = OperationScratch.Current;
        if (scratch.TryTake(source.Length) is { } slot)
        {
            source.CopyTo(slot);
            return new OwnedBytes(slot, source.Length, scratch);
        }

        return ForAsyncCall(source);
    }

    /// <summary>A pooled copy, valid until released on whatever thread the operation ends.</summary>
    public static OwnedBytes ForAsyncCall(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return default;
        }

        byte[] array = ArrayPool<byte>.Shared.Rent(source.Length);
        source.CopyTo(array);
        return new OwnedBytes(array, source.Length, null);
    }

    /// <summary>Clears and gives the buffer back. Copies of a synchronous call are released in reverse order of taking.</summary>
    public void Release()
    {
        if (_array is null)
        {
            return;
        }

        if (_scratch is { } scratch)
        {
            _array.AsSpan(0, _length).Clear();
            scratch.Give(_array);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(_array, clearArray: true);
        }
    }
}

/// <summary>
/// Per-thread scratch buffers for the copies of synchronous calls: a small stack of fixed-size arrays, taken and given
/// back in last-in-first-out order (a handler's nested call takes the next ones). When the stack is used up or a copy is
/// too long, the caller falls back to the pool.
/// </summary>
internal sealed class OperationScratch
{
    /// <summary>Copies up to this length use the scratch.</summary>
    public const int SlotLength = 256;

    private const int Slots = 16;

    [ThreadStatic]
    private static OperationScratch? t_current;

    private readonly byte[]?[] _slots = new byte[Slots][];
    private int _top;

    public static OperationScratch Current => t_current ??= new OperationScratch();

    public byte[]? TryTake(int length)
    {
        int top = _top;
        if (length > SlotLength || top == Slots)
        {
            return null;
        }

        _top = top + 1;
        return _slots[top] ??= new byte[SlotLength];
    }

    public void Give(byte[] slot)
    {
        int top = _top - 1;
        System.Diagnostics.Debug.Assert(ReferenceEquals(_slots[top], slot), "scratch released out of order");
        _top = top;
    }
}
