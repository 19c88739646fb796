using System;
using System.Collections.Generic;

namespace SochDb;

/// <summary>Ordinal (unsigned byte) order of keys: the order <see cref="IKeyValueStore.Scan"/> yields.</summary>
internal sealed class ByteKeyComparer : IComparer<byte[]>
{
    /// <summary>The one instance.</summary>
    public static ByteKeyComparer Instance { get; } = new();

    private ByteKeyComparer()
    {
    }

    /// <inheritdoc />
    public int Compare(byte[]? x, byte[]? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        return x.AsSpan().SequenceCompareTo(y);
    }
}
