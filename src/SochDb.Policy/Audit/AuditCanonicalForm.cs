using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SochDb.Policy.Audit;

/// <summary>
/// The bytes an entry's hash covers, and the chain hash itself: <c>SHA-256(previous hash ‖ canonical entry)</c>, or
/// <c>HMAC-SHA256(key, previous hash ‖ canonical entry)</c> for a keyed chain.
/// </summary>
/// <remarks>
/// Canonical form, version 1: the byte 1; the id and the UTC ticks as big-endian 64-bit integers; then operation name,
/// key bytes, the mask flag (one byte), result name, rule, reason, agent id, session id, trace id and span id, each
/// as a big-endian 32-bit length (-1 for null) followed by its bytes (UTF-8 for text). Every field is length-prefixed,
/// so no two different entries share a form; names rather than enum numbers keep it readable in any language.
/// </remarks>
internal static class AuditCanonicalForm
{
    public const int HashLength = 32;

    private const byte Version = 1;

    /// <summary>The hash before the first entry of a log that has never been pruned: 32 zero bytes.</summary>
    public static byte[] Genesis { get; } = new byte[HashLength];

    public static byte[] Hash(ReadOnlySpan<byte> previous, long id, AuditEntry entry, byte[]? key = null)
    {
        if (previous.Length != HashLength)
        {
            throw new ArgumentException($"A chain hash has {HashLength} bytes, not {previous.Length}.", nameof(previous));
        }

        int length = HashLength + Measure(entry);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Span<byte> buffer = rented.AsSpan(0, length);
            previous.CopyTo(buffer);
            Write(buffer.Slice(HashLength), id, entry);
            return key is null ? SHA256.HashData(buffer) : HMACSHA256.HashData(key, buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int Measure(AuditEntry entry) =>
        1 + 8 + 8
        + Text(AuditNames.Of(entry.Operation)) + 4 + entry.KeyBytes.Length + 1 + Text(AuditNames.Of(entry.Result))
        + Text(entry.Rule) + Text(entry.Reason) + Text(entry.AgentId) + Text(entry.SessionId) + Text(entry.TraceId) + Text(entry.SpanId);

    private static int Text(string? text) => 4 + (text is null ? 0 : Encoding.UTF8.GetByteCount(text));

    private static void Write(Span<byte> buffer, long id, AuditEntry entry)
    {
        buffer[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(buffer.Slice(1), id);
        BinaryPrimitives.WriteInt64BigEndian(buffer.Slice(9), entry.Timestamp.UtcTicks);
        int at = 17;
        at += WriteText(buffer.Slice(at), AuditNames.Of(entry.Operation));
        BinaryPrimitives.WriteInt32BigEndian(buffer.Slice(at), entry.KeyBytes.Length);
        entry.KeyBytes.CopyTo(buffer.Slice(at + 4));
        at += 4 + entry.KeyBytes.Length;
        buffer[at++] = entry.IsKeyMasked ? (byte)1 : (byte)0;
        at += WriteText(buffer.Slice(at), AuditNames.Of(entry.Result));
        at += WriteText(buffer.Slice(at), entry.Rule);
        at += WriteText(buffer.Slice(at), entry.Reason);
        at += WriteText(buffer.Slice(at), entry.AgentId);
        at += WriteText(buffer.Slice(at), entry.SessionId);
        at += WriteText(buffer.Slice(at), entry.TraceId);
        WriteText(buffer.Slice(at), entry.SpanId);
    }

    private static int WriteText(Span<byte> buffer, string? text)
    {
        if (text is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer, -1);
            return 4;
        }

        int written = Encoding.UTF8.GetBytes(text, buffer.Slice(4));
        BinaryPrimitives.WriteInt32BigEndian(buffer, written);
        return 4 + written;
    }
}
