using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace SochDb.Policy;

/// <summary>
/// The bytes a durable <see cref="IApprovalStore"/> keeps for one request: what will run (operation, key, the value of
/// a write, the caller's context) and why it waits (rule, reason). Version 1, little-endian:
/// <code>
/// u8 version=1 | u8 operation | bytes key | bytes? value | str? agent | str? session | i32 n, n × (str name, str value)
/// | u8 hasRule [u8 trigger | str pattern | str handler | i32 order | u8 mode] | str? reason
/// </code>
/// where <c>bytes</c>/<c>str</c> is an i32 length (−1 for null) and the bytes (UTF-8 for text).
/// </summary>
internal static class ApprovalPayload
{
    private const byte Version = 1;

    public static byte[] Encode(ApprovalRequest request)
    {
        var buffer = new List<byte>(64 + request.KeySpan.Length + (request.Value?.Length ?? 0));
        buffer.Add(Version);
        buffer.Add((byte)request.Operation);
        WriteBytes(buffer, request.KeySpan);
        if (request.Value is null)
        {
            WriteInt(buffer, -1);
        }
        else
        {
            WriteBytes(buffer, request.Value);
        }

        PolicyContext context = request.Context;
        WriteString(buffer, context.AgentId);
        WriteString(buffer, context.SessionId);
        WriteInt(buffer, context.Items.Count);
        foreach (KeyValuePair<string, string> item in context.Items)
        {
            WriteString(buffer, item.Key);
            WriteString(buffer, item.Value);
        }

        PolicyRuleInfo? rule = request.Rule;
        buffer.Add(rule is null ? (byte)0 : (byte)1);
        if (rule is not null)
        {
            buffer.Add((byte)rule.Trigger);
            WriteString(buffer, rule.Pattern);
            WriteString(buffer, rule.HandlerName);
            WriteInt(buffer, rule.Order);
            buffer.Add((byte)rule.Mode);
        }

        WriteString(buffer, request.Reason);
        return buffer.ToArray();
    }

    public static ApprovalRequest Decode(string id, ReadOnlySpan<byte> payload, DateTimeOffset createdAt, DateTimeOffset expiresAt,
        ApprovalState state, string? decidedBy, string? rejectionReason)
    {
        var reader = new Reader(id, payload);
        byte version = reader.Byte("version");
        if (version != Version)
        {
            throw new InvalidDataException($"Approval {id}: payload version {version} is not known (this engine reads version {Version}).");
        }

        var operation = (PolicyOperation)reader.Byte("operation");
        if (operation is not (PolicyOperation.Read or PolicyOperation.Write or PolicyOperation.Delete))
        {
            throw new InvalidDataException($"Approval {id}: payload operation {(int)operation} is not Read, Write or Delete.");
        }

        byte[] key = reader.Bytes("key") ?? throw new InvalidDataException($"Approval {id}: payload has no key.");
        byte[]? value = reader.Bytes("value");
        PolicyContext context = new() { AgentId = reader.String("agent"), SessionId = reader.String("session") };
        int items = reader.Int("item count");
        for (int i = 0; i < items; i++)
        {
            string name = reader.String("item name") ?? throw new InvalidDataException($"Approval {id}: context item {i} has no name.");
            context = context.With(name, reader.String("item value"));
        }

        PolicyRuleInfo? rule = null;
        if (reader.Byte("rule flag") == 1)
        {
            var trigger = (PolicyTrigger)reader.Byte("rule trigger");
            string pattern = reader.String("rule pattern") ?? "";
            string handler = reader.String("rule handler") ?? "";
            int order = reader.Int("rule order");
            var mode = (EnforcementMode)reader.Byte("rule mode");
            rule = new PolicyRuleInfo(trigger, pattern, handler, order, mode is EnforcementMode.Shadow ? mode : EnforcementMode.Enforce);
        }

        string? reason = reader.String("reason");
        reader.End();
        return new ApprovalRequest(id, operation, key, value, context, rule, reason, createdAt, expiresAt, state, decidedBy, rejectionReason);
    }

    private static void WriteInt(List<byte> buffer, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        foreach (byte b in bytes)
        {
            buffer.Add(b);
        }
    }

    private static void WriteBytes(List<byte> buffer, ReadOnlySpan<byte> bytes)
    {
        WriteInt(buffer, bytes.Length);
        foreach (byte b in bytes)
        {
            buffer.Add(b);
        }
    }

    private static void WriteString(List<byte> buffer, string? text)
    {
        if (text is null)
        {
            WriteInt(buffer, -1);
            return;
        }

        WriteBytes(buffer, Encoding.UTF8.GetBytes(text));
    }

    private ref struct Reader
    {
        private readonly string _id;
        private readonly ReadOnlySpan<byte> _data;
        private int _position;

        public Reader(string id, ReadOnlySpan<byte> data)
        {
            _id = id;
            _data = data;
            _position = 0;
        }

        public byte Byte(string field)
        {
            Need(1, field);
            return _data[_position++];
        }

        public int Int(string field)
        {
            Need(4, field);
            int value = BinaryPrimitives.ReadInt32LittleEndian(_data.Slice(_position, 4));
            _position += 4;
            return value;
        }

        public byte[]? Bytes(string field)
        {
            int length = Int(field + " length");
            if (length == -1)
            {
                return null;
            }

            if (length < 0)
            {
                throw new InvalidDataException($"Approval {_id}: payload {field} has length {length} at byte {_position - 4}.");
            }

            Need(length, field);
            byte[] bytes = _data.Slice(_position, length).ToArray();
            _position += length;
            return bytes;
        }

        public string? String(string field)
        {
            byte[]? bytes = Bytes(field);
            return bytes is null ? null : Encoding.UTF8.GetString(bytes);
        }

        public readonly void End()
        {
            if (_position != _data.Length)
            {
                throw new InvalidDataException($"Approval {_id}: payload has {_data.Length - _position} unexpected bytes after byte {_position}.");
            }
        }

        private readonly void Need(int count, string field)
        {
            if (_data.Length - _position < count)
            {
                throw new InvalidDataException($"Approval {_id}: payload ends at byte {_data.Length} inside the {field} (needed {count} bytes at {_position}).");
            }
        }
    }
}
