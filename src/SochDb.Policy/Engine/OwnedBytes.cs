using System;
using System.Buffers;

namespace SochDb.Policy.Engine;

/// <summary>
/// The engine's own copy of a key or value for one operation: the bytes it judges are the bytes the store receives,
/// whatever the caller does to its buffer meanwhile. The key and the value of one call share one buffer (one look-up,
/// one copy each, one clear): a synchronous call copies into a scratch buffer of its thread (nothing allocated, nothing
/// pooled: the call cannot outlive its thread's stack of calls); an asynchronous call, which may hand the memory to a
/// store that completes later, copies into a pooled array. The key's copy owns the buffer and releases it (cleared: the
/// bytes may be a secret) when the operation ends; the value's copy shares it and releases nothing.
/// </summary>
internal readonly struct OwnedBytes
{
    private readonly byte[]? _array;
    private readonly OperationScratch? _scratch;
    private readonly int _offset;
    private readonly int _length;

    // The bytes this copy clears and gives back on release: 0 for a copy that shares another's buffer.
    private readonly int _owned;

    private OwnedBytes(byte[] array, OperationScratch? scratch, int offset, int length, int owned)
    {
        _array = array;
        _scratch = scratch;
        _offset = offset;
        _length = length;
        _owned = owned;
    }

    public int Length => _length;

    public ReadOnlySpan<byte> Span => _array is null ? default : new ReadOnlySpan<byte>(_array, _offset, _length);

    public ReadOnlyMemory<byte> Memory => _array is null ? default : new ReadOnlyMemory<byte>(_array, _offset, _length);

    /// <summary>
    /// Copies of a synchronous call's key and value, in one scratch buffer of this thread when they fit, else in one pooled
    /// array. Returns the key's copy, which owns the buffer; <paramref name="valueCopy"/> shares it.
    /// </summary>
    public static OwnedBytes ForSyncCall(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out OwnedBytes valueCopy) =>
        ForSyncCall(OperationScratch.Current, key, value, out valueCopy);

    /// <summary>
    /// <see cref="ForSyncCall(ReadOnlySpan{byte}, ReadOnlySpan{byte}, out OwnedBytes)"/> with the current thread's state
    /// (<paramref name="scratch"/>, <see cref="OperationScratch.Current"/>) already looked up: one look-up per call.
    /// </summary>
    public static OwnedBytes ForSyncCall(OperationScratch scratch, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out OwnedBytes valueCopy)
    {
        int total = key.Length + value.Length;
        if (total == 0 || scratch.TryTake(total) is not { } slot)
        {
            return ForAsyncCall(key, value, out valueCopy);
        }

        return Fill(slot, scratch, key, value, out valueCopy);
    }

    /// <summary>
    /// Pooled copies of a call's key and value in one array, valid until released on whatever thread the operation ends.
    /// Returns the key's copy, which owns the array; <paramref name="valueCopy"/> shares it.
    /// </summary>
    public static OwnedBytes ForAsyncCall(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out OwnedBytes valueCopy)
    {
        int total = key.Length + value.Length;
        if (total == 0)
        {
            valueCopy = default;
            return default;
        }

        return Fill(ArrayPool<byte>.Shared.Rent(total), null, key, value, out valueCopy);
    }

    private static OwnedBytes Fill(byte[] buffer, OperationScratch? scratch, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value,
        out OwnedBytes valueCopy)
    {
        key.CopyTo(buffer);
        value.CopyTo(buffer.AsSpan(key.Length));
        valueCopy = value.IsEmpty ? default : new OwnedBytes(buffer, null, key.Length, value.Length, owned: 0);
        return new OwnedBytes(buffer, scratch, 0, key.Length, key.Length + value.Length);
    }

    /// <summary>
    /// Clears and gives the buffer back (a copy that shares another's buffer does nothing). Copies of a synchronous call are
    /// released in reverse order of taking.
    /// </summary>
    public void Release()
    {
        if (_owned == 0)
        {
            return;
        }

        if (_scratch is { } scratch)
        {
            _array!.AsSpan(0, _owned).Clear();
            scratch.Give(_array!);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(_array!, clearArray: true);
        }
    }
}

/// <summary>
/// The state a thread keeps for the operations it runs, looked up once per call (a thread-static access is not free):
/// the scratch buffers for the copies of synchronous calls, a small stack of fixed-size arrays taken and given back in
/// last-in-first-out order (a handler's nested call takes the next ones; when the stack is used up or a copy is too long,
/// the caller falls back to the pool), and the depth of guarded operations nested inside handlers on this thread.
/// </summary>
internal sealed class OperationScratch
{
    /// <summary>Copies of a key and value up to this length together use the scratch.</summary>
    public const int SlotLength = 512;

    private const int Slots = 16;

    [ThreadStatic]
    private static OperationScratch? t_current;

    private readonly byte[]?[] _slots = new byte[Slots][];
    private int _top;

    /// <summary>Guarded operations in progress on this thread inside handlers: a handler that calls the engine nests one level.</summary>
    public int Nesting;

    /// <summary>The nesting depth of the current thread, without creating its state.</summary>
    public static int CurrentNesting => t_current?.Nesting ?? 0;

    public static OperationScratch Current => t_current ?? CreateCurrent();

    // Once per thread, out of line: the look-up above stays small enough to inline into every call.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static OperationScratch CreateCurrent() => t_current = new OperationScratch();

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
