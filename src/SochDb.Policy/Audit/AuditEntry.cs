using System;
using System.Text;

namespace SochDb.Policy;

/// <summary>One operation outcome recorded by the engine's audit log.</summary>
public sealed record AuditEntry
{
    private string? _key;

    /// <summary>Creates an entry (the engine does this).</summary>
    internal AuditEntry(
        long sequence,
        DateTimeOffset timestamp,
        PolicyOperation operation,
        byte[] keyBytes,
        AuditResult result,
        string? agentId,
        string? sessionId,
        string? rule,
        string? reason,
        string? traceId = null,
        string? spanId = null,
        bool isKeyMasked = false)
    {
        ArgumentNullException.ThrowIfNull(keyBytes);
        Sequence = sequence;
        Timestamp = timestamp;
        Operation = operation;
        KeyBytes = keyBytes;
        Result = result;
        AgentId = agentId;
        SessionId = sessionId;
        Rule = rule;
        Reason = reason;
        TraceId = traceId;
        SpanId = spanId;
        IsKeyMasked = isKeyMasked;
    }

    /// <summary>
    /// Position of the entry: in the engine's recent entries and the batches handed to sinks, its number since audit was
    /// first enabled (0, 1, 2, ...); in an entry read back from a durable log, its id in that log (1, 2, 3, ..., with no
    /// gaps: a gap is a deleted entry).
    /// </summary>
    public long Sequence { get; private init; }

    /// <summary>When the outcome was decided, from the engine's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The operation: <see cref="PolicyOperation.Read"/>, <see cref="PolicyOperation.Write"/> or <see cref="PolicyOperation.Delete"/>.</summary>
    public PolicyOperation Operation { get; }

    /// <summary>The key decoded as UTF-8 (invalid bytes become U+FFFD; <see cref="KeyBytes"/> holds the exact key).</summary>
    /// <remarks>Decoded on first use, so recording an entry does not pay for text nobody reads.</remarks>
    public string Key => _key ??= Encoding.UTF8.GetString(KeyBytes);

    /// <summary>
    /// The key's exact bytes; for a masked key (<see cref="IsKeyMasked"/>), the UTF-8 bytes of its mask
    /// (<c>masked:</c> and 32 hex digits of a keyed hash), never the key itself.
    /// </summary>
    public byte[] KeyBytes { get; }

    /// <summary>The outcome.</summary>
    public AuditResult Result { get; }

    /// <summary>The caller's agent id, if any.</summary>
    public string? AgentId { get; }

    /// <summary>The caller's session id, if any.</summary>
    public string? SessionId { get; }

    /// <summary>
    /// The rule that decided: for Denied/Failed the handler's rule (<c>[BeforeWrite("system/*")] AgentPolicies.BlockSystemWrites</c>),
    /// for Modified the last rule that modified, for RateLimited the limit; null for Allowed.
    /// </summary>
    public string? Rule { get; }

    /// <summary>Why: the denial reason, the exception message of a failed handler, or the rate-limit detail.</summary>
    public string? Reason { get; }

    /// <summary>The W3C trace id (32 hex digits) of <see cref="System.Diagnostics.Activity.Current"/> when the outcome was decided; null without one.</summary>
    public string? TraceId { get; }

    /// <summary>The span id (16 hex digits) of <see cref="System.Diagnostics.Activity.Current"/> when the outcome was decided; null without one.</summary>
    public string? SpanId { get; }

    /// <summary>
    /// For an entry read back from a durable log (<see cref="PolicyAudit.Query"/>, <see cref="SqliteAuditSink.Query"/>): its
    /// link in the hash chain, SHA-256 (or, for a keyed chain, HMAC-SHA256) of the previous entry's link followed by this
    /// entry's canonical form (32 bytes). Null for entries that no durable log has chained (the engine's recent entries,
    /// and the batches handed to sinks). Not part of <see cref="Equals(AuditEntry?)"/>.
    /// </summary>
    public byte[]? Hash { get; private init; }

    /// <summary>This entry as a durable log holds it: its id in that log as <see cref="Sequence"/>, and its link in the chain.</summary>
    internal AuditEntry InLog(long id, byte[] hash) => this with { Sequence = id, Hash = hash };

    /// <summary>Whether the key matched a mask pattern, so <see cref="Key"/> holds its keyed hash instead of the key.</summary>
    public bool IsKeyMasked { get; }

    /// <summary>Equal when every field is equal (the key compared by its bytes), the chain link aside.</summary>
    public bool Equals(AuditEntry? other) =>
        other is not null
        && Sequence == other.Sequence
        && Timestamp == other.Timestamp
        && Operation == other.Operation
        && KeyBytes.AsSpan().SequenceEqual(other.KeyBytes)
        && Result == other.Result
        && AgentId == other.AgentId
        && SessionId == other.SessionId
        && Rule == other.Rule
        && Reason == other.Reason
        && TraceId == other.TraceId
        && SpanId == other.SpanId
        && IsKeyMasked == other.IsKeyMasked;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Sequence, Timestamp, Operation, Result, AgentId, Rule);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Sequence = ").Append(Sequence).Append(", Timestamp = ").Append(Timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            .Append(", Operation = ").Append(Operation).Append(", Key = ").Append(Key).Append(", Result = ").Append(Result)
            .Append(", AgentId = ").Append(AgentId).Append(", SessionId = ").Append(SessionId)
            .Append(", Rule = ").Append(Rule).Append(", Reason = ").Append(Reason)
            .Append(", TraceId = ").Append(TraceId).Append(", SpanId = ").Append(SpanId).Append(", IsKeyMasked = ").Append(IsKeyMasked);
        return true;
    }
}
