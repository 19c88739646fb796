using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SochDb.Policy;

/// <summary>
/// Where the approval requests of <see cref="PolicyEngine.Approvals"/> wait. Every engine that shares a store lists and
/// decides the same requests, and a request outlives the process that raised it. Built in: the SQLite database (the
/// default when the engine's store is a <see cref="SochDb.Database"/> opened from a file), memory (the default otherwise),
/// and PostgreSQL (<c>PostgresApprovalStore</c>, package <c>SochDb.Policy.PostgreSql</c>, for a fleet); set one with
/// <see cref="PolicyEngineOptions.ApprovalStore"/>.
/// </summary>
/// <remarks>
/// A durable store keeps <see cref="ApprovalRequest.ToPayload"/> as data beside the columns it queries (id, state,
/// created and expiry times, who decided, the rejection reason) and rebuilds requests with
/// <see cref="ApprovalRequest.FromStore"/>. The one rule an implementation must keep: <see cref="TryDecide"/> is a
/// single atomic change from Pending to a decision (<c>UPDATE … WHERE id = @id AND state = pending</c>, checking the
/// row count), so that of any number of engines deciding one id at once, exactly one succeeds. Members may throw the
/// store's own exception when it is unavailable; the engine audits that and passes it on. The asynchronous members
/// (used by <see cref="PolicyApprovals.ApproveAsync"/>, <see cref="PolicyApprovals.RejectAsync"/> and
/// <see cref="PolicyApprovals.ListPendingAsync"/>) default to the synchronous ones; a store over a network overrides
/// them with its client's asynchronous calls.
/// </remarks>
public interface IApprovalStore
{
    /// <summary>
    /// Saves a new pending request, unless <paramref name="maxPending"/> requests that have not expired at
    /// <see cref="ApprovalRequest.CreatedAt"/> are already pending; returns whether it was saved. It must be durable
    /// when this returns.
    /// </summary>
    bool TryAdd(ApprovalRequest request, int maxPending);

    /// <summary>The request with this id, as it stands now; null when the store does not know it.</summary>
    ApprovalRequest? Find(string approvalId);

    /// <summary>The requests pending and not expired at <paramref name="now"/>, oldest first, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<ApprovalRequest> ListPending(DateTimeOffset now, int limit);

    /// <summary>
    /// In one atomic change, moves the request from Pending to <paramref name="decision"/> (<see cref="ApprovalState.Executed"/>
    /// or <see cref="ApprovalState.Rejected"/>), recording <paramref name="decidedBy"/> and <paramref name="rejectionReason"/>
    /// — or to <see cref="ApprovalState.Expired"/> when it is pending but <paramref name="now"/> is at or past its expiry.
    /// </summary>
    /// <returns>
    /// The state the request was in when this call found it: <see cref="ApprovalState.Pending"/> when this call decided it;
    /// <see cref="ApprovalState.Expired"/> when this call found it overdue (and expired it) or it had expired before;
    /// another state when it had already been decided; null when the id is unknown.
    /// </returns>
    ApprovalState? TryDecide(string approvalId, ApprovalState decision, DateTimeOffset now, string? decidedBy, string? rejectionReason,
        out ApprovalRequest? request);

    /// <summary>Moves requests pending past their expiry at <paramref name="now"/> to Expired; returns those this call moved (at most <paramref name="limit"/>).</summary>
    IReadOnlyList<ApprovalRequest> ExpireOverdue(DateTimeOffset now, int limit);

    /// <summary>Removes requests that were decided or expired and whose expiry is before <paramref name="endedBefore"/>; returns how many.</summary>
    int Forget(DateTimeOffset endedBefore);

    /// <summary>The asynchronous twin of <see cref="ListPending"/>; by default it calls it.</summary>
    ValueTask<IReadOnlyList<ApprovalRequest>> ListPendingAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(ListPending(now, limit));
    }

    /// <summary>
    /// The asynchronous twin of <see cref="TryDecide"/> (the same single atomic change): returns the state the request was
    /// in when this call found it, and the request as it is now; by default it calls <see cref="TryDecide"/>.
    /// </summary>
    ValueTask<(ApprovalState? Was, ApprovalRequest? Request)> TryDecideAsync(string approvalId, ApprovalState decision, DateTimeOffset now,
        string? decidedBy, string? rejectionReason, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ApprovalState? was = TryDecide(approvalId, decision, now, decidedBy, rejectionReason, out ApprovalRequest? request);
        return new((was, request));
    }

    /// <summary>The asynchronous twin of <see cref="ExpireOverdue"/>; by default it calls it.</summary>
    ValueTask<IReadOnlyList<ApprovalRequest>> ExpireOverdueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(ExpireOverdue(now, limit));
    }
}
