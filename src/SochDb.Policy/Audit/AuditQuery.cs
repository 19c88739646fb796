using System;

namespace SochDb.Policy;

/// <summary>
/// Which entries of a durable log to read, in which order, from where. Every filter left null matches everything;
/// filters combine with AND. Paging is by keyset: <see cref="After"/> is the <see cref="AuditRecord.Id"/> of the last
/// record already read, so a page costs the same however deep in the log it lies, and the log may grow meanwhile.
/// </summary>
public sealed record AuditQuery
{
    /// <summary>Everything, newest first.</summary>
    public static AuditQuery All { get; } = new();

    /// <summary>Only entries of this agent (ordinal).</summary>
    public string? AgentId { get; init; }

    /// <summary>Only entries of this session (ordinal).</summary>
    public string? SessionId { get; init; }

    /// <summary>Only entries of this operation (<see cref="PolicyOperation.All"/> also means no filter).</summary>
    public PolicyOperation? Operation { get; init; }

    /// <summary>Only entries with this result.</summary>
    public AuditResult? Result { get; init; }

    /// <summary>Only entries decided by this rule (its exact text, e.g. <c>[BeforeWrite("system/*")] AgentPolicies.BlockSystemWrites</c>).</summary>
    public string? Rule { get; init; }

    /// <summary>Only entries at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only entries before this time (exclusive).</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>False (the default): newest first, by <see cref="AuditEntry.Sequence"/>; true: oldest first.</summary>
    public bool OldestFirst { get; init; }

    /// <summary>Continue after the entry with this <see cref="AuditEntry.Sequence"/> (in the query's order); null to start at the beginning.</summary>
    public long? After { get; init; }

    /// <summary>
    /// Only records with an id at or above this (inclusive): with <see cref="After"/>, a window of ids that bounds how
    /// much of the log one page reads whatever its filters match (the dashboard searches a large log window by window).
    /// </summary>
    internal long? AtLeast { get; init; }

    /// <summary>Records read per round trip when streaming, and the size of one page; default 512.</summary>
    public int PageSize { get; init; } = 512;

    /// <summary>Throws when a field is out of range; ledgers call this before reading.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range (the message names it).</exception>
    public void Validate()
    {
        if (PageSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "AuditQuery.PageSize must be positive.");
        }

        if (Operation is { } op && (op < PolicyOperation.Read || op > PolicyOperation.All))
        {
            throw new ArgumentOutOfRangeException(nameof(Operation), op, "AuditQuery.Operation is Read, Write, Delete or All.");
        }

        if (Result is { } result && (result < AuditResult.Allowed || result > AuditResult.EntriesRemoved))
        {
            throw new ArgumentOutOfRangeException(nameof(Result), result, "AuditQuery.Result is not a defined AuditResult.");
        }

        if (From is { } from && To is { } to && to < from)
        {
            throw new ArgumentOutOfRangeException(nameof(To), to, $"AuditQuery.To ({to:O}) is before From ({from:O}).");
        }
    }
}
