using System;
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
/// <remarks>
/// The requests wait in the engine's <see cref="IApprovalStore"/> (<see cref="PolicyEngineOptions.ApprovalStore"/>): by
/// default in the SQLite file of a <see cref="SochDb.Database"/> opened from a file, so they survive a restart and every
/// engine over that file lists and decides them; in memory otherwise. A decision is one atomic change in the store, so
/// of many engines approving one id, exactly one runs it — through its own rules and limits as they are then.
/// </remarks>
public sealed class PolicyApprovals
{
    private readonly PolicyEngine _engine;
    private readonly IApprovalStore _store;
    private const int ForgetEvery = 64;

    private TimeSpan _lifetime = TimeSpan.FromMinutes(30);
    private int _maxPending = 1024;
    private long _registrations;

    internal PolicyApprovals(PolicyEngine engine, IApprovalStore store)
    {
        _engine = engine;
        _store = store;
    }

    /// <summary>Where the requests wait (see <see cref="PolicyEngineOptions.ApprovalStore"/>).</summary>
    public IApprovalStore Store => _store;

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

    /// <summary>
    /// The requests waiting for a decision now, oldest first, at most <see cref="MaxPending"/> (overdue ones are expired,
    /// audited, and left out). From a durable store each call reads it afresh.
    /// </summary>
    /// <exception cref="System.IO.IOException">The approval store is unavailable (the message names it).</exception>
    public IReadOnlyList<ApprovalRequest> Pending
    {
        get
        {
            DateTimeOffset now = _engine.ApprovalNow();
            ExpireOverdue(now);
            return _store.ListPending(now, _maxPending);
        }
    }

    /// <summary>
    /// The request's key as the decision log shows it: masked (<c>masked:</c> and an HMAC) when it matches
    /// <see cref="AuditOptions.MaskedKeys"/>, else its text. What a page or a message shown to people should use.
    /// </summary>
    public string KeyForDisplay(ApprovalRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _engine.KeyAsLogged(request.KeySpan);
    }

    /// <summary>The request with this id, in whatever state, while the store remembers it.</summary>
    /// <exception cref="System.IO.IOException">The approval store is unavailable (the message names it).</exception>
    public bool TryGet(string approvalId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ApprovalRequest? request)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        ExpireOverdue(_engine.ApprovalNow());
        request = IsWellFormed(approvalId) ? _store.Find(approvalId) : null;
        return request is not null;
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
    /// <exception cref="InvalidOperationException">
    /// The request is not pending: the id is unknown, or the request was already used, rejected or expired (the message
    /// names the id and its state; <see cref="TryGet"/> reads the state). Nothing ran.
    /// </exception>
    /// <exception cref="PolicyViolationException">The run was refused by a rate limit or another rule, as the operation itself would throw.</exception>
    /// <exception cref="System.IO.IOException">The approval store is unavailable (the message names it); nothing ran and the request is unchanged.</exception>
    public ApprovalResult Approve(string approvalId, string approver) =>
        _engine.ExecuteApproved(Claim(approvalId, approver));

    /// <summary>
    /// The asynchronous twin of <see cref="Approve"/>: the store is asked through its asynchronous members (for
    /// PostgreSQL, Npgsql's asynchronous calls) and the operation runs through the engine's asynchronous pipeline.
    /// <paramref name="cancellationToken"/> is observed until the request is claimed; once claimed, the operation runs to
    /// completion (a claimed approval that never ran would be lost).
    /// </summary>
    /// <inheritdoc cref="Approve"/>
    public async ValueTask<ApprovalResult> ApproveAsync(string approvalId, string approver, CancellationToken cancellationToken = default)
    {
        CheckApproval(approvalId, approver);
        ApprovalRequest request = await DecideAsync(approvalId, ApprovalState.Executed, approver, null, cancellationToken).ConfigureAwait(false);
        RecordGranted(request, approver);
        return await _engine.ExecuteApprovedAsync(request, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Rejects a pending request: its operation never runs.</summary>
    /// <param name="approvalId">The request's id.</param>
    /// <param name="reason">Why (recorded in the audit log and on the request).</param>
    /// <param name="rejectedBy">Who rejected it, if known.</param>
    /// <exception cref="ArgumentNullException"><paramref name="approvalId"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The request is not pending: the id is unknown, or the request was already used, rejected or expired (the message
    /// names the id and its state; <see cref="TryGet"/> reads the state).
    /// </exception>
    /// <exception cref="System.IO.IOException">The approval store is unavailable (the message names it); the request is unchanged.</exception>
    public void Reject(string approvalId, string? reason, string? rejectedBy = null)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        RecordRejected(Decide(approvalId, ApprovalState.Rejected, rejectedBy, reason), reason, rejectedBy);
    }

    /// <summary>
    /// The asynchronous twin of <see cref="Reject"/>, through the store's asynchronous members.
    /// <paramref name="cancellationToken"/> is observed until the store is asked to decide.
    /// </summary>
    /// <inheritdoc cref="Reject"/>
    public async ValueTask RejectAsync(string approvalId, string? reason, string? rejectedBy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        ApprovalRequest request = await DecideAsync(approvalId, ApprovalState.Rejected, rejectedBy, reason, cancellationToken).ConfigureAwait(false);
        RecordRejected(request, reason, rejectedBy);
    }

    /// <summary>
    /// The asynchronous twin of <see cref="Pending"/>: the requests waiting for a decision now, oldest first, at most
    /// <see cref="MaxPending"/> (overdue ones are expired, audited, and left out), read through the store's asynchronous members.
    /// </summary>
    /// <exception cref="System.IO.IOException">The approval store is unavailable (the message names it).</exception>
    public async ValueTask<IReadOnlyList<ApprovalRequest>> ListPendingAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _engine.ApprovalNow();
        cancellationToken.ThrowIfCancellationRequested();
        // Expiring is a change in the store: not cancelled half-way, so each request it expires is audited.
        RecordExpired(await _store.ExpireOverdueAsync(now, _maxPending, CancellationToken.None).ConfigureAwait(false));
        return await _store.ListPendingAsync(now, _maxPending, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Registers a new request; null when too many are pending (the caller refuses the operation).</summary>
    /// <exception cref="System.IO.IOException">The approval store is unavailable.</exception>
    internal ApprovalRequest? Register(PolicyOperation operation, ReadOnlySpan<byte> key, byte[]? value, PolicyContext context,
        PolicyRuleInfo? rule, string? reason)
    {
        DateTimeOffset now = _engine.ApprovalNow();
        ExpireOverdue(now);
        if (Interlocked.Increment(ref _registrations) % ForgetEvery == 1)
        {
            // Decided and expired requests are remembered for a lifetime after expiry (a replay then reads "already
            // used", not "unknown"), then forgotten.
            _store.Forget(now - _lifetime);
        }

        var request = new ApprovalRequest(NewId(), operation, key, value, context, rule, reason, now, now + _lifetime);
        return _store.TryAdd(request, _maxPending) ? request : null;
    }

    private ApprovalRequest Claim(string approvalId, string approver)
    {
        CheckApproval(approvalId, approver);
        ApprovalRequest request = Decide(approvalId, ApprovalState.Executed, approver, null);
        RecordGranted(request, approver);
        return request;
    }

    private static void CheckApproval(string approvalId, string approver)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        ArgumentException.ThrowIfNullOrEmpty(approver);
    }

    private void RecordGranted(ApprovalRequest request, string approver) =>
        _engine.RecordApprovalStep(request, AuditResult.Allowed, $"approval {request.Id} granted by {approver}; running it once");

    private void RecordRejected(ApprovalRequest request, string? reason, string? rejectedBy) =>
        _engine.RecordApprovalStep(request, AuditResult.Denied,
            $"approval {request.Id} rejected{(rejectedBy is null ? "" : " by " + rejectedBy)}{(string.IsNullOrEmpty(reason) ? "" : ": " + reason)}; nothing was executed");

    /// <summary>Makes the one atomic change Pending → <paramref name="decision"/> in the store, or throws (audited) why not.</summary>
    private ApprovalRequest Decide(string approvalId, ApprovalState decision, string? decidedBy, string? rejectionReason)
    {
        DateTimeOffset now = _engine.ApprovalNow();
        RefuseMalformed(approvalId);
        ApprovalState? was;
        ApprovalRequest? request;
        try
        {
            ExpireOverdue(now);
            was = _store.TryDecide(approvalId, decision, now, decidedBy, rejectionReason, out request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _engine.RecordApprovalStoreFailure(approvalId, e);
            throw;
        }

        return Settle(approvalId, was, request);
    }

    /// <summary>
    /// <see cref="Decide"/> through the store's asynchronous members. Cancellation is observed before the store is asked;
    /// the change itself is not cancelled half-way (its outcome would be unknown: a claim that never runs).
    /// </summary>
    private async ValueTask<ApprovalRequest> DecideAsync(string approvalId, ApprovalState decision, string? decidedBy, string? rejectionReason,
        CancellationToken cancellationToken)
    {
        DateTimeOffset now = _engine.ApprovalNow();
        RefuseMalformed(approvalId);
        cancellationToken.ThrowIfCancellationRequested();
        ApprovalState? was;
        ApprovalRequest? request;
        try
        {
            RecordExpired(await _store.ExpireOverdueAsync(now, _maxPending, CancellationToken.None).ConfigureAwait(false));
            (was, request) = await _store.TryDecideAsync(approvalId, decision, now, decidedBy, rejectionReason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _engine.RecordApprovalStoreFailure(approvalId, e);
            throw;
        }

        return Settle(approvalId, was, request);
    }

    /// <summary>An id the engine could not have issued is unknown (audited) without asking the store.</summary>
    private void RefuseMalformed(string approvalId)
    {
        if (!IsWellFormed(approvalId))
        {
            _engine.RecordUnknownApproval(approvalId);
            throw NotPending(approvalId, null);
        }
    }

    /// <summary>The request this call moved from Pending, or the (audited) refusal: unknown, already decided, expired.</summary>
    private ApprovalRequest Settle(string approvalId, ApprovalState? was, ApprovalRequest? request)
    {
        if (was is null || request is null)
        {
            _engine.RecordUnknownApproval(approvalId);
            throw NotPending(approvalId, null);
        }

        if (was != ApprovalState.Pending)
        {
            throw Refused(request, was.Value);
        }

        return request;
    }

    /// <summary>An id the engine issued is 32 lowercase hex digits; anything else is unknown without asking the store.</summary>
    private static bool IsWellFormed(string approvalId)
    {
        if (approvalId.Length != 32)
        {
            return false;
        }

        foreach (char c in approvalId)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    private ApprovalNotPendingException Refused(ApprovalRequest request, ApprovalState state)
    {
        _engine.RecordApprovalStep(request, AuditResult.Denied, $"approval {request.Id} {Explain(state)}; nothing was executed");
        return NotPending(request.Id, state);
    }

    /// <summary>The refusal of a decision on a request that is not pending: the message names the id and the state.</summary>
    private static ApprovalNotPendingException NotPending(string approvalId, ApprovalState? state) =>
        new(approvalId, state, state is { } known
            ? $"Approval \"{approvalId}\" is not pending (state {known}): it {Explain(state)}; nothing was executed."
            : $"Approval \"{approvalId}\" is not pending: no request has that id (it was never issued, or was forgotten long after it ended); nothing was executed.");

    private static string Explain(ApprovalState? state) => state switch
    {
        null => "is unknown",
        ApprovalState.Executed => "was already used",
        ApprovalState.Rejected => "was rejected",
        ApprovalState.Expired => "has expired",
        _ => "is pending",
    };

    /// <summary>Expires overdue requests in the store; each is audited once, by the engine whose call expired it.</summary>
    private void ExpireOverdue(DateTimeOffset now) => RecordExpired(_store.ExpireOverdue(now, _maxPending));

    private void RecordExpired(IReadOnlyList<ApprovalRequest> expired)
    {
        foreach (ApprovalRequest request in expired)
        {
            _engine.RecordApprovalStep(request, AuditResult.Denied,
                $"approval {request.Id} expired before anyone decided; nothing was executed");
        }
    }

    private static string NewId()
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        return Convert.ToHexStringLower(random);
    }
}
