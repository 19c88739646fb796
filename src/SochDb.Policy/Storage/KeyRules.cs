using System;
using System.Text;

namespace SochDb;

/// <summary>
/// What every store accepts as a key: 1 to <see cref="IKeyValueStore.MaxKeyLength"/> bytes, checked in one place (the
/// public face of the check is <see cref="IKeyValueStore.ValidateKey"/>); and the UTF-8 encoding of string keys.
/// </summary>
internal static class KeyRules
{
    /// <inheritdoc cref="IKeyValueStore.MaxKeyLength"/>
    public const int MaxKeyLength = IKeyValueStore.MaxKeyLength;

    /// <inheritdoc cref="IKeyValueStore.ValidateKey"/>
    public static void Validate(ReadOnlySpan<byte> key, string paramName = "key")
    {
        if ((uint)(key.Length - 1) >= MaxKeyLength)
        {
            ThrowInvalid(key.Length, paramName);
        }
    }

    // Out of line: the check above is what every operation pays; the messages stay out of its callers' frames.
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ThrowInvalid(int length, string paramName) => throw (length == 0
        ? new ArgumentException("A key must not be empty.", paramName)
        : new ArgumentException($"A key is at most {MaxKeyLength} bytes; this one is {length}.", paramName));

    /// <summary>Encodes a string key as UTF-8, rejecting null and empty.</summary>
    internal static byte[] Encode(string key, string paramName = "key")
    {
        ArgumentNullException.ThrowIfNull(key, paramName);
        if (key.Length == 0)
        {
            throw new ArgumentException("A key must not be empty.", paramName);
        }

        return Encoding.UTF8.GetBytes(key);
    }

    /// <summary>Encodes a string value as UTF-8, rejecting null.</summary>
    internal static byte[] EncodeValue(string value, string paramName = "value")
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        return Encoding.UTF8.GetBytes(value);
    }
}
