namespace SochDb.Policy;

/// <summary>What an approved operation did when it ran.</summary>
public sealed class ApprovalResult
{
    internal ApprovalResult(ApprovalRequest request, byte[]? value, bool removed)
    {
        Request = request;
        Value = value;
        Removed = removed;
    }

    /// <summary>The request that was approved (now <see cref="ApprovalState.Executed"/>).</summary>
    public ApprovalRequest Request { get; }

    /// <summary>For a read: the value the caller may see (after AfterRead handlers), or null when the key was absent.</summary>
    public byte[]? Value { get; }

    /// <summary>For a delete: whether the key was present.</summary>
    public bool Removed { get; }
}
