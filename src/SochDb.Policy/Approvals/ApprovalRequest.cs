using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace SochDb.Policy;

/// <summary>
/// An operation that a rule said needs a person's approval (<see cref="PolicyDecision.RequireApproval"/>). It did not
/// run. <see cref="PolicyApprovals.Approve"/> runs exactly this operation (same key, same value, same caller) once;
/// <see cref="PolicyApprovals.Reject"/> or expiry mean it never runs.
/// </summary>
/// <remarks>
/// The value to be written is kept privately, for the approved run; what the request shows is its SHA-256
/// (<see cref="ValueHash"/>), so an approver can check that the value they were shown is the one that will be written
/// without the request itself spreading it.
/// </remarks>
public sealed class ApprovalRequest
{
    private readonly Lock _gate = new();
    private readonly byte[] _keyBytes;
    private ApprovalState _state;

    internal ApprovalRequest(
        string id,
        PolicyOperation operation,
        ReadOnlySpan<byte> key,
        byte[]? value,
        PolicyContext context,
        PolicyRuleInfo? rule,
        string? reason,
        DateTimeOffset createdAt,
        DateTimeOffset expiresAt,
        ApprovalState state = ApprovalState.Pending,
        string? decidedBy = null,
        string? rejectionReason = null)
    {
        Id = id;
        Operation = operation;
        _keyBytes = key.ToArray();
        Key = Encoding.UTF8.GetString(_keyBytes);
        Value = value;
        ValueHash = value is null ? null : Convert.ToHexStringLower(SHA256.HashData(value));
        Context = context;
        Rule = rule;
        Reason = reason;
        CreatedAt = createdAt;
        ExpiresAt = expiresAt;
        _state = state;
        DecidedBy = decidedBy;
        RejectionReason = rejectionReason;
    }

    /// <summary>The approval id (32 lowercase hex digits, unguessable).</summary>
    public string Id { get; }

    /// <summary>The operation waiting for approval.</summary>
    public PolicyOperation Operation { get; }

    /// <summary>Its key as UTF-8 text (invalid bytes become U+FFFD; <see cref="KeyBytes"/> is exact).</summary>
    public string Key { get; }

    /// <summary>A copy of the key's exact bytes.</summary>
    public byte[] KeyBytes => (byte[])_keyBytes.Clone();

    /// <summary>For a write: the SHA-256 of the value, as lowercase hex; null for reads and deletes.</summary>
    public string? ValueHash { get; }

    /// <summary>For a write: the value's length in bytes; null for reads and deletes.</summary>
    public int? ValueLength => Value?.Length;

    /// <summary>The rule that required approval.</summary>
    public PolicyRuleInfo? Rule { get; }

    /// <summary>Why, as the rule said.</summary>
    public string? Reason { get; }

    /// <summary>Who asked: the caller's context, under which the approved operation runs.</summary>
    public PolicyContext Context { get; }

    /// <summary>The caller's agent id.</summary>
    public string? AgentId => Context.AgentId;

    /// <summary>The caller's session id.</summary>
    public string? SessionId => Context.SessionId;

    /// <summary>When the request was made (the engine's clock).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>After this instant the request can no longer be approved.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Where the request stands now.</summary>
    public ApprovalState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Who approved or rejected it, once decided.</summary>
    public string? DecidedBy { get; private set; }

    /// <summary>The reason given with a rejection.</summary>
    public string? RejectionReason { get; private set; }

    internal ReadOnlySpan<byte> KeySpan => _keyBytes;

    internal byte[]? Value { get; }

    /// <summary>
    /// The start of a write's value as text for a person deciding it: at most <paramref name="maxBytes"/> bytes decoded
    /// as UTF-8 (invalid bytes become U+FFFD), followed by <c>…</c> when the value is longer; null for reads and deletes.
    /// This is the only way the request shows its value.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBytes"/> is negative.</exception>
    public string? PreviewValue(int maxBytes = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (Value is null)
        {
            return null;
        }

        if (Value.Length <= maxBytes)
        {
            return Encoding.UTF8.GetString(Value);
        }

        // Cut on a character boundary: drop continuation bytes of a sequence the cap splits.
        int end = maxBytes;
        while (end > 0 && (Value[end] & 0xC0) == 0x80)
        {
            end--;
        }

        return Encoding.UTF8.GetString(Value, 0, end) + "\u2026";
    }

    /// <summary>
    /// The operation as it will run, encoded for an <see cref="IApprovalStore"/>: operation, key, the value of a write,
    /// context, rule and reason (the columns a store queries — id, state, times, decider — are kept beside it). It holds
    /// the value, so store it where the data itself may be stored; <see cref="FromStore"/> reads it back.
    /// </summary>
    public byte[] ToPayload() => ApprovalPayload.Encode(this);

    /// <summary>Rebuilds a request an <see cref="IApprovalStore"/> kept: its <see cref="ToPayload"/> bytes and its columns.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is null.</exception>
    /// <exception cref="System.IO.InvalidDataException">The payload is damaged or of an unknown version (the message says where).</exception>
    public static ApprovalRequest FromStore(string id, ReadOnlySpan<byte> payload, DateTimeOffset createdAt, DateTimeOffset expiresAt,
        ApprovalState state, string? decidedBy, string? rejectionReason)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ApprovalPayload.Decode(id, payload, createdAt, expiresAt, state, decidedBy, rejectionReason);
    }

    /// <summary>Moves a pending request to <paramref name="next"/>; returns the state it was in (only Pending moved).</summary>
    internal ApprovalState TryDecide(ApprovalState next, DateTimeOffset now, string? decidedBy, string? rejectionReason)
    {
        lock (_gate)
        {
            if (_state == ApprovalState.Pending && now >= ExpiresAt)
            {
                _state = ApprovalState.Expired;
                return ApprovalState.Expired;
            }

            if (_state != ApprovalState.Pending)
            {
                return _state;
            }

            _state = next;
            DecidedBy = decidedBy;
            RejectionReason = rejectionReason;
            return ApprovalState.Pending;
        }
    }

    /// <summary>Marks a pending request whose time has passed as expired; returns whether it did.</summary>
    internal bool TryExpire(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_state != ApprovalState.Pending || now < ExpiresAt)
            {
                return false;
            }

            _state = ApprovalState.Expired;
            return true;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"approval {Id}: {PolicyViolationException.Verb(Operation)} of \"{Key}\" by {AgentId ?? "(no agent)"} ({State})";
}
