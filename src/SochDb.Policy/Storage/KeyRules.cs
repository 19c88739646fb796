using System;
using System.Text;

namespace SochDb;

/// <summary>
/// What every store accepts as a key: 1 to <see cref="MaxKeyLength"/> bytes. The engine and the built-in stores check it
/// in one place; a custom <see cref="IKeyValueStore"/> calls <see cref="Validate"/> to refuse what they refuse.
/// </summary>
public static class KeyRules
{
    /// <summary>The longest key accepted, in bytes (large enough for any path-like key, small enough to keep index pages healthy).</summary>
    public const int MaxKeyLength = 4096;

    /// <summary>Throws when <paramref name="key"/> is empty or longer than <see cref="MaxKeyLength"/>.</summary>
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
