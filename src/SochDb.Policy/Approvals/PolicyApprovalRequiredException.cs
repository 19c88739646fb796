using System;
using System.Globalization;

namespace SochDb.Policy;

/// <summary>
/// A rule requires a person to approve the operation before it runs (<see cref="PolicyDecision.RequireApproval"/>).
/// Nothing ran; <see cref="Request"/> is pending in <see cref="PolicyEngine.Approvals"/> until it is approved, rejected
/// or expires.
/// </summary>
public sealed class PolicyApprovalRequiredException : PolicyViolationException
{
    /// <summary>Creates the exception for <paramref name="request"/>.</summary>
    public PolicyApprovalRequiredException(ApprovalRequest request, PolicyTrigger trigger)
        : this(request, trigger, Checked(request).Key)
    {
    }

    /// <summary>The engine's own: the message shows the key as the decision log does (its mask, where one applies).</summary>
    internal PolicyApprovalRequiredException(ApprovalRequest request, PolicyTrigger trigger, string keyText)
        : base(Checked(request).Operation, request.KeyBytes, trigger, request.Rule, request.Reason, request.AgentId, null, Describe(request, keyText))
    {
        Request = request;
    }

    /// <summary>The pending request: its <see cref="ApprovalRequest.Id"/> is what an approver approves or rejects.</summary>
    public ApprovalRequest Request { get; }

    private static ApprovalRequest Checked(ApprovalRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request;
    }

    private static string Describe(ApprovalRequest request, string keyText)
    {
        string by = request.Rule is null ? "the policy" : request.Rule.ToString();
        string why = string.IsNullOrEmpty(request.Reason) ? "" : ": " + request.Reason;
        return $"{Verb(request.Operation)} of \"{keyText}\" requires approval by {by}{why} "
            + $"(approval {request.Id}, pending until {request.ExpiresAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}).";
    }
}
