using System;
using System.Security.Cryptography;
using SochDb.Policy.Matching;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Audit;

/// <summary>
/// Replaces keys that match a mask pattern with <c>masked:</c> and the first 16 bytes (32 hex digits) of their
/// HMAC-SHA256 under a secret key: equal keys give equal masks, so a shared log still correlates, but the key text is
/// gone. Allocates nothing: the mask is written into the caller's buffer.
/// </summary>
internal sealed class AuditKeyMask
{
    public const int Length = 7 + 32;

    private readonly GlobMatcher[] _patterns;
    private readonly byte[] _secret;

    private AuditKeyMask(GlobMatcher[] patterns, byte[] secret)
    {
        _patterns = patterns;
        _secret = secret;
    }

    /// <summary>A mask for <paramref name="patterns"/>, or null when there are none.</summary>
    /// <exception cref="GlobPatternException">A pattern is not valid (the message names it and the position).</exception>
    public static AuditKeyMask? Create(System.Collections.Generic.IReadOnlyList<string> patterns, byte[]? secret)
    {
        if (patterns.Count == 0)
        {
            return null;
        }

        var matchers = new GlobMatcher[patterns.Count];
        for (int i = 0; i < matchers.Length; i++)
        {
            matchers[i] = GlobMatcher.Compile(patterns[i] ?? throw new ArgumentException($"AuditOptions.MaskedKeys[{i}] is null.", "MaskedKeys"));
        }

        return new AuditKeyMask(matchers, secret is null ? RandomNumberGenerator.GetBytes(32) : (byte[])secret.Clone());
    }

    public bool Matches(ReadOnlySpan<byte> key)
    {
        foreach (GlobMatcher pattern in _patterns)
        {
            if (pattern.IsMatch(key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes the mask of <paramref name="key"/> into <paramref name="destination"/> (<see cref="Length"/> bytes).</summary>
    public void Write(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, key, mac);
        "masked:"u8.CopyTo(destination);
        const string Hex = "0123456789abcdef";
        for (int i = 0; i < 16; i++)
        {
            destination[7 + (2 * i)] = (byte)Hex[mac[i] >> 4];
            destination[8 + (2 * i)] = (byte)Hex[mac[i] & 0xF];
        }
    }
}
