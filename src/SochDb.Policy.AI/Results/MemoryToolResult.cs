using System.Collections.Generic;

namespace SochDb.Policy.AI;

/// <summary>
/// What a memory tool returns to the model, serialized as JSON with snake_case names and without null fields.
/// Keys in it are always relative to the agent's prefix.
/// </summary>
internal sealed class MemoryToolResult
{
    public required string Status { get; init; }

    public string? Key { get; init; }

    public string? Prefix { get; init; }

    public bool? Found { get; init; }

    public string? Value { get; init; }

    public string? ValueBase64 { get; init; }

    public bool? Deleted { get; init; }

    public IReadOnlyList<string>? Keys { get; init; }

    public bool? Truncated { get; init; }

    public bool? Committed { get; init; }

    public string? Argument { get; init; }

    public string? Reason { get; init; }

    public string? Rule { get; init; }

    public long? RetryAfterSeconds { get; init; }

    public bool? Retryable { get; init; }

    public string? ApprovalId { get; init; }

    public string? ExpiresAt { get; init; }
}
