using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace SochDb.Policy.Matching;

/// <summary>
/// Finds the value stored under a byte literal, for a span of a key, without copying it. A literal of up to eight
/// bytes (nearly every segment and anchor) is held as one 64-bit number next to its length, so a probe compares two
/// integers instead of two spans; longer literals keep their bytes. A few entries are compared one by one; more go
/// into an open-addressing table probed once. Immutable.
/// </summary>
internal sealed class LiteralTable<T>
    where T : class
{
    private const int LinearLimit = 4;

    // Parallel arrays, one slot each: the literal's length (-1: an empty slot), its number (see Number), its bytes
    // (compared only past eight bytes) and the value.
    private readonly int[] _lengths;
    private readonly ulong[] _numbers;
    private readonly byte[][] _keys;
    private readonly T?[] _values;
    private readonly int _mask;

    private LiteralTable(int[] lengths, ulong[] numbers, byte[][] keys, T?[] values, int mask)
    {
        _lengths = lengths;
        _numbers = numbers;
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

        int size = entries.Count <= LinearLimit ? entries.Count : 8;
        while (entries.Count > LinearLimit && size < entries.Count * 2)
        {
            size *= 2;
        }

        var lengths = new int[size];
        Array.Fill(lengths, -1);
        var numbers = new ulong[size];
        var keys = new byte[size][];
        var values = new T?[size];
        int mask = entries.Count <= LinearLimit ? -1 : size - 1;
        for (int i = 0; i < entries.Count; i++)
        {
            byte[] key = entries[i].Key;
            ulong number = Number(key);
            int slot = mask < 0 ? i : Slot(number, key.Length, mask);
            while (lengths[slot] >= 0)
            {
                slot = (slot + 1) & mask;
            }

            lengths[slot] = key.Length;
            numbers[slot] = number;
            keys[slot] = key;
            values[slot] = entries[i].Value;
        }

        return new LiteralTable<T>(lengths, numbers, keys, values, mask);
    }

    public T? Find(ReadOnlySpan<byte> literal)
    {
        int length = literal.Length;
        ulong number = Number(literal);
        int[] lengths = _lengths;
        if (_mask < 0)
        {
            for (int i = 0; i < lengths.Length; i++)
            {
                if (lengths[i] == length && _numbers[i] == number && (length <= 8 || literal.SequenceEqual(_keys[i])))
                {
                    return _values[i];
                }
            }

            return null;
        }

        int slot = Slot(number, length, _mask);
        while (true)
        {
            int candidate = lengths[slot];
            if (candidate < 0)
            {
                return null;
            }

            if (candidate == length && _numbers[slot] == number && (length <= 8 || literal.SequenceEqual(_keys[slot])))
            {
                return _values[slot];
            }

            slot = (slot + 1) & _mask;
        }
    }

    private static int Slot(ulong number, int length, int mask)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        ulong hash = (number ^ (ulong)length) * Multiplier;
        return (int)(hash >> 32) & mask;
    }

    /// <summary>
    /// Up to eight bytes as one number that, with the length, tells them apart: two overlapping 4-byte reads from
    /// 4 bytes on, every byte folded in below that. Longer literals get a hash over 8-byte words (their bytes are then
    /// compared as well).
    /// </summary>
    internal static ulong Number(ReadOnlySpan<byte> bytes)
    {
        int length = bytes.Length;
        if (length >= 4)
        {
            if (length <= 8)
            {
                return BinaryPrimitives.ReadUInt32LittleEndian(bytes)
                    | (ulong)BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(length - 4)) << 32;
            }

            return Hash(bytes);
        }

        return length == 0 ? 0 : bytes[0] | (ulong)bytes[length - 1] << 8 | (ulong)bytes[length >> 1] << 16;
    }

    private static ulong Hash(ReadOnlySpan<byte> bytes)
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

        return (hash ^ tail) * Multiplier;
    }
}
