using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;

namespace SochDb.Policy;

/// <summary>
/// Approval requests in this process's memory: the default for engines over in-memory stores, and for tests. The
/// requests are the very objects the engine created, so a caller holding one sees its state change. A restart forgets them.
/// </summary>
internal sealed class InMemoryApprovalStore : IApprovalStore
{
    private readonly ConcurrentDictionary<string, ApprovalRequest> _requests = new(StringComparer.Ordinal);
    private readonly Lock _addLock = new();

    public bool TryAdd(ApprovalRequest request, int maxPending)
    {
        lock (_addLock)
        {
            int pending = 0;
            foreach (ApprovalRequest existing in _requests.Values)
            {
                if (existing.State == ApprovalState.Pending && existing.ExpiresAt > request.CreatedAt)
                {
                    pending++;
                }
            }

            return pending < maxPending && _requests.TryAdd(request.Id, request);
        }
    }

    public ApprovalRequest? Find(string approvalId) => _requests.TryGetValue(approvalId, out ApprovalRequest? request) ? request : null;

    public IReadOnlyList<ApprovalRequest> ListPending(DateTimeOffset now, int limit)
    {
        var pending = new List<ApprovalRequest>();
        foreach (ApprovalRequest request in _requests.Values)
        {
            if (request.State == ApprovalState.Pending && now < request.ExpiresAt)
            {
                pending.Add(request);
            }
        }

        pending.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt) is int c && c != 0 ? c : string.CompareOrdinal(a.Id, b.Id));
        return pending.Count > limit ? pending.GetRange(0, limit) : pending;
    }

    public ApprovalState? TryDecide(string approvalId, ApprovalState decision, DateTimeOffset now, string? decidedBy, string? rejectionReason,
        out ApprovalRequest? request)
    {
        if (!_requests.TryGetValue(approvalId, out request))
        {
            return null;
        }

        return request.TryDecide(decision, now, decidedBy, rejectionReason);
    }

    public IReadOnlyList<ApprovalRequest> ExpireOverdue(DateTimeOffset now, int limit)
    {
        var expired = new List<ApprovalRequest>();
        foreach (ApprovalRequest request in _requests.Values)
        {
            if (expired.Count < limit && request.TryExpire(now))
            {
                expired.Add(request);
            }
        }

        return expired;
    }

    public int Forget(DateTimeOffset endedBefore)
    {
        int removed = 0;
        foreach (KeyValuePair<string, ApprovalRequest> entry in _requests)
        {
            if (entry.Value.State != ApprovalState.Pending && entry.Value.ExpiresAt < endedBefore && _requests.TryRemove(entry))
            {
                removed++;
            }
        }

        return removed;
    }
}
