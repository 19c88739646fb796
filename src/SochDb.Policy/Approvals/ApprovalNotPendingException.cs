using System;

namespace SochDb.Policy;

/// <summary>
/// An approval id that cannot be approved or rejected: unknown (never issued, or forgotten long after it ended),
/// already used, rejected or expired. Nothing was executed.
/// </summary>
public sealed class ApprovalNotPendingException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="approvalId">The id that was given.</param>
    /// <param name="state">Where that request stands; null when the id is unknown.</param>
    public ApprovalNotPendingException(string approvalId, ApprovalState? state)
        : base(Describe(approvalId, state))
    {
        ApprovalId = approvalId;
        State = state;
    }

    /// <summary>The id that was given.</summary>
    public string ApprovalId { get; }

    /// <summary>Where the request stands; null when the id is unknown.</summary>
    public ApprovalState? State { get; }

    internal static string Explain(ApprovalState? state) => state switch
    {
        null => "is unknown",
        ApprovalState.Executed => "was already used",
        ApprovalState.Rejected => "was rejected",
        ApprovalState.Expired => "has expired",
        _ => "is pending",
    };

    private static string Describe(string approvalId, ApprovalState? state) =>
        $"Approval \"{approvalId}\" {Explain(state)}; nothing was executed.";
}
