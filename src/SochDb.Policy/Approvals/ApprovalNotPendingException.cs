using System;

namespace SochDb.Policy;

/// <summary>
/// The approvals facet's refusal of a decision on a request that is not pending. Public callers see an
/// <see cref="InvalidOperationException"/> whose message names the id and the state; the packages that report it to a
/// person or a model (the dashboard, the AI tools) read the state from here, as it was when the decision was refused,
/// instead of telling it from other invalid operations by the exception's type or reading the request again.
/// </summary>
internal sealed class ApprovalNotPendingException(string approvalId, ApprovalState? state, string message) : InvalidOperationException(message)
{
    /// <summary>The request's id.</summary>
    public string ApprovalId { get; } = approvalId;

    /// <summary>Its state when the decision was refused; null when no request has that id.</summary>
    public ApprovalState? State { get; } = state;
}
