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
        DateTimeOffset expiresAt)
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

    internal PolicyContext Context { get; }

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
