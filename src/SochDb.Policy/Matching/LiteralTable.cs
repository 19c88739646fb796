using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace SochDb.Policy.Matching;

/// <summary>
/// Finds the value stored under a byte literal, for a span of a key, without copying it: a few literals are compared
/// one by one (as the generated code does for up to four); more go into an open-addressing table probed once. Immutable.
/// </summary>
internal sealed class LiteralTable<T>
    where T : class
{
    private const int LinearLimit = 4;

    private readonly byte[][] _keys;
    private readonly T?[] _values;
    private readonly int _mask;

    private LiteralTable(byte[][] keys, T?[] values, int mask)
    {
        _keys = keys;
        _values = values;
        _mask = mask;
    }

    public static LiteralTable<T>? Create(IReadOnlyList<KeyValuePair<byte[], T>> entries)
    {
        if (entries.Count == 0)
        {
            return null;
        }

        if (entries.Count <= LinearLimit)
        {
            var keys = new byte[entries.Count][];
            var values = new T?[entries.Count];
            for (int i = 0; i < entries.Count; i++)
            {
                keys[i] = entries[i].Key;
                values[i] = entries[i].Value;
            }

            return new LiteralTable<T>(keys, values, -1);
        }

        int size = 8;
        while (size < entries.Count * 2)
        {
            size *= 2;
        }

        var slots = new byte[size][];
        var slotValues = new T?[size];
        int mask = size - 1;
        foreach (KeyValuePair<byte[], T> entry in entries)
        {
            int slot = (int)Hash(entry.Key) & mask;
            while (slots[slot] is not null)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = entry.Key;
            slotValues[slot] = entry.Value;
        }

        return new LiteralTable<T>(slots, slotValues, mask);
    }

    public T? Find(ReadOnlySpan<byte> literal)
    {
        byte[][] keys = _keys;
        if (_mask < 0)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                if (literal.SequenceEqual(keys[i]))
                {
                    return _values[i];
                }
            }

            return null;
        }

        int slot = (int)Hash(literal) & _mask;
        while (true)
        {
            byte[]? candidate = keys[slot];
            if (candidate is null)
            {
                return null;
            }

            if (literal.SequenceEqual(candidate))
            {
                return _values[slot];
            }

            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>A quick hash over 8-byte words; the table is at most half full, so a probe rarely goes past one slot.</summary>
    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        ulong hash = (ulong)bytes.Length * Multiplier;
        while (bytes.Length >= 8)
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * Multiplier;
            hash ^= hash >> 29;
            bytes = bytes.Slice(8);
        }

        ulong tail = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            tail |= (ulong)bytes[i] << (8 * i);
        }

        hash = (hash ^ tail) * Multiplier;
        return (uint)(hash ^ (hash >> 32));
    }
}
