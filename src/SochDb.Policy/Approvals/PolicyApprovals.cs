using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace SochDb.Policy;

/// <summary>
/// The approvals of one engine (<see cref="PolicyEngine.Approvals"/>): operations a rule sent for human approval,
/// waiting for a decision. Approving runs exactly that operation once, through the same rate limits and rules (a rule
/// that denies still denies; only the approval requirement is satisfied). A request that was used, rejected, or left
/// until it expired can never run. Every step is audited. Thread-safe.
/// </summary>
public sealed class PolicyApprovals
{
    private readonly PolicyEngine _engine;
    private readonly ConcurrentDictionary<string, ApprovalRequest> _requests = new(StringComparer.Ordinal);
    private TimeSpan _lifetime = TimeSpan.FromMinutes(30);
    private int _maxPending = 1024;

    internal PolicyApprovals(PolicyEngine engine) => _engine = engine;

    /// <summary>
    /// How long a request waits for a decision before it expires; default 30 minutes. A decided or expired request is
    /// remembered for as long again (so a replay is reported as "already used", not "unknown"), then forgotten.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan Lifetime
    {
        get => _lifetime;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _lifetime = value;
        }
    }

    /// <summary>
    /// The most requests pending at once; default 1,024. Beyond it an operation that needs approval is refused
    /// (audited as denied) rather than queued, so a runaway agent cannot grow the queue without bound.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public int MaxPending
    {
        get => _maxPending;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxPending = value;
        }
    }

    /// <summary>The requests waiting for a decision now, oldest first (expired ones are expired and left out).</summary>
    public IReadOnlyList<ApprovalRequest> Pending
    {
        get
        {
            Prune(_engine.ApprovalNow());
            var pending = new List<ApprovalRequest>();
            foreach (ApprovalRequest request in _requests.Values)
            {
                if (request.State == ApprovalState.Pending)
                {
                    pending.Add(request);
                }
            }

            pending.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt) is int c && c != 0 ? c : string.CompareOrdinal(a.Id, b.Id));
            return pending;
        }
    }

    /// <summary>The request with this id, in whatever state, while the engine remembers it.</summary>
    public bool TryGet(string approvalId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ApprovalRequest? request)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        Prune(_engine.ApprovalNow());
        return _requests.TryGetValue(approvalId, out request);
    }

    /// <summary>
    /// Approves a pending request and runs its operation now, once, as its original caller (same key, value and
    /// context). The approval is spent by this attempt whatever its outcome: if a rate limit or another rule refuses
    /// the run, that refusal is thrown and the operation needs a new request.
    /// </summary>
    /// <param name="approvalId">The request's id.</param>
    /// <param name="approver">Who approved (recorded in the audit log and on the request).</param>
    /// <returns>What the run did (for a read, the value; for a delete, whether the key was there).</returns>
    /// <exception cref="ArgumentException"><paramref name="approver"/> is null or empty.</exception>
    /// <exception cref="ApprovalNotPendingException">The id is unknown, used, rejected or expired; nothing ran.</exception>
    /// <exception cref="PolicyViolationException">The run was refused by a rate limit or another rule, as the operation itself would throw.</exception>
    public ApprovalResult Approve(string approvalId, string approver) =>
        _engine.ExecuteApproved(Claim(approvalId, approver));

    /// <summary>The asynchronous twin of <see cref="Approve"/> (for stores that are asynchronous).</summary>
    /// <inheritdoc cref="Approve"/>
    public ValueTask<ApprovalResult> ApproveAsync(string approvalId, string approver, CancellationToken cancellationToken = default) =>
        _engine.ExecuteApprovedAsync(Claim(approvalId, approver), cancellationToken);

    /// <summary>Rejects a pending request: its operation never runs.</summary>
    /// <param name="approvalId">The request's id.</param>
    /// <param name="reason">Why (recorded in the audit log and on the request).</param>
    /// <param name="rejectedBy">Who rejected it, if known.</param>
    /// <exception cref="ArgumentNullException"><paramref name="approvalId"/> is null.</exception>
    /// <exception cref="ApprovalNotPendingException">The id is unknown, used, rejected or expired.</exception>
    public void Reject(string approvalId, string? reason, string? rejectedBy = null)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        DateTimeOffset now = _engine.ApprovalNow();
        Prune(now);
        ApprovalRequest request = Find(approvalId);
        ApprovalState was = request.TryDecide(ApprovalState.Rejected, now, rejectedBy, reason);
        if (was != ApprovalState.Pending)
        {
            throw Refused(request, was);
        }

        _engine.RecordApprovalStep(request, AuditResult.Denied,
            $"approval {request.Id} rejected{(rejectedBy is null ? "" : " by " + rejectedBy)}{(string.IsNullOrEmpty(reason) ? "" : ": " + reason)}; nothing was executed");
    }

    /// <summary>Registers a new request; null when too many are pending (the caller refuses the operation).</summary>
    internal ApprovalRequest? Register(PolicyOperation operation, ReadOnlySpan<byte> key, byte[]? value, PolicyContext context,
        PolicyRuleInfo? rule, string? reason)
    {
        DateTimeOffset now = _engine.ApprovalNow();
        if (Prune(now) >= _maxPending)
        {
            return null;
        }

        var request = new ApprovalRequest(NewId(), operation, key, value, context, rule, reason, now, now + _lifetime);
        _requests[request.Id] = request;
        return request;
    }

    private ApprovalRequest Claim(string approvalId, string approver)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        ArgumentException.ThrowIfNullOrEmpty(approver);
        DateTimeOffset now = _engine.ApprovalNow();
        Prune(now);
        ApprovalRequest request = Find(approvalId);
        ApprovalState was = request.TryDecide(ApprovalState.Executed, now, approver, null);
        if (was != ApprovalState.Pending)
        {
            throw Refused(request, was);
        }

        _engine.RecordApprovalStep(request, AuditResult.Allowed, $"approval {request.Id} granted by {approver}; running it once");
        return request;
    }

    private ApprovalRequest Find(string approvalId)
    {
        if (_requests.TryGetValue(approvalId, out ApprovalRequest? request))
        {
            return request;
        }

        _engine.RecordUnknownApproval(approvalId);
        throw new ApprovalNotPendingException(approvalId, null);
    }

    private ApprovalNotPendingException Refused(ApprovalRequest request, ApprovalState state)
    {
        _engine.RecordApprovalStep(request, AuditResult.Denied,
            $"approval {request.Id} {ApprovalNotPendingException.Explain(state)}; nothing was executed");
        return new ApprovalNotPendingException(request.Id, state);
    }

    /// <summary>Expires overdue requests (audited), forgets long-finished ones; returns how many are still pending.</summary>
    private int Prune(DateTimeOffset now)
    {
        int pending = 0;
        foreach (KeyValuePair<string, ApprovalRequest> entry in _requests)
        {
            ApprovalRequest request = entry.Value;
            if (request.TryExpire(now))
            {
                _engine.RecordApprovalStep(request, AuditResult.Denied,
                    $"approval {request.Id} expired before anyone decided; nothing was executed");
            }

            if (request.State == ApprovalState.Pending)
            {
                pending++;
            }
            else if (now >= request.ExpiresAt + _lifetime)
            {
                _requests.TryRemove(entry);
            }
        }

        return pending;
    }

    private static string NewId()
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        return Convert.ToHexStringLower(random);
    }
}
