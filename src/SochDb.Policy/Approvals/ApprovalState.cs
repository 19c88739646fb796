namespace SochDb.Policy;

/// <summary>Where an <see cref="ApprovalRequest"/> stands. Only a pending request can be approved or rejected.</summary>
public enum ApprovalState
{
    /// <summary>Waiting for a person: approve it to run the operation once, or reject it.</summary>
    Pending = 0,

    /// <summary>Approved: the operation was run (whatever its outcome); the approval cannot be used again.</summary>
    Executed = 1,

    /// <summary>Rejected: the operation never runs.</summary>
    Rejected = 2,

    /// <summary>Nobody decided before <see cref="ApprovalRequest.ExpiresAt"/>: the operation never runs.</summary>
    Expired = 3,
}
