using System;
using System.Collections.Generic;

namespace SochDb.Policy.Engine;

/// <summary>
/// Compares byte-array dictionary keys by content and lets a <see cref="ReadOnlySpan{T}"/> of the key stand in for
/// the array, so dispatch looks a key's first segment up without copying it.
/// </summary>
internal sealed class ByteSegmentComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static ByteSegmentComparer Instance { get; } = new();

    private ByteSegmentComparer()
    {
    }

    public bool Equals(byte[]? x, byte[]? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
