using System;
using System.Collections.Generic;

namespace SochDb.Policy;

/// <summary>
/// The result of walking a durable log's hash chain from its checkpoint (or its first entry) to its newest entry.
/// </summary>
public sealed class AuditVerification
{
    internal AuditVerification(long checkedCount, long? firstBrokenId, string? problem, long headId, byte[] headHash, long checkpointId)
    {
        EntriesChecked = checkedCount;
        FirstBrokenId = firstBrokenId;
        Problem = problem;
        HeadId = headId;
        HeadHash = headHash;
        CheckpointId = checkpointId;
    }

    /// <summary>Whether every entry links to the one before it.</summary>
    public bool IsIntact => FirstBrokenId is null;

    /// <summary>How many entries were checked (up to and including the first broken one).</summary>
    public long EntriesChecked { get; }

    /// <summary>The id of the first entry where the chain breaks (an edited, inserted, reordered entry, or the one after a deletion); null when intact.</summary>
    public long? FirstBrokenId { get; }

    /// <summary>What is wrong at <see cref="FirstBrokenId"/>, in words; null when intact.</summary>
    public string? Problem { get; }

    /// <summary>The id of the newest entry checked (the checkpoint's id when the log is empty).</summary>
    public long HeadId { get; }

    /// <summary>
    /// The hash of the newest entry. Keep it somewhere else (a ticket, another system): a log cut short at its newest
    /// end still verifies on its own, but no longer reaches this hash.
    /// </summary>
    public byte[] HeadHash { get; }

    /// <summary>The newest entry checked as a head (<see cref="HeadId"/>, <see cref="HeadHash"/>), to keep elsewhere and pass to <see cref="AuditLedger.Verify(AuditHead)"/> later.</summary>
    public AuditHead Head => new(HeadId, HeadHash);

    /// <summary>
    /// The ids of the gap records met (at most 10,000): entries the log says it does not hold, because the queue
    /// dropped them or because the process writing the log stopped without closing it. Empty when none (or when the
    /// chain broke before the walk ended).
    /// </summary>
    public IReadOnlyList<long> GapIds { get; internal init; } = Array.Empty<long>();

    /// <summary>The id of the last entry removed by retention (0 when none was): the chain starts after it.</summary>
    public long CheckpointId { get; }

    /// <inheritdoc />
    public override string ToString() => IsIntact
        ? $"intact: {EntriesChecked} entries after checkpoint {CheckpointId}, head #{HeadId} {Convert.ToHexStringLower(HeadHash)}"
            + (GapIds.Count > 0 ? $"; {GapIds.Count} gap record(s), the first #{GapIds[0]}" : string.Empty)
        : $"broken at entry #{FirstBrokenId}: {Problem}";
}

/// <summary>
/// What retention leaves behind when it removes the oldest entries: the id and hash of the last removed entry, so the
/// entries after it still verify.
/// </summary>
internal sealed class AuditCheckpoint
{
    /// <summary>Creates a checkpoint (ledgers do this when they read it back).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="hash"/> is null.</exception>
    public AuditCheckpoint(long id, byte[] hash, long prunedCount, DateTimeOffset prunedAt)
    {
        ArgumentNullException.ThrowIfNull(hash);
        Id = id;
        Hash = hash;
        PrunedCount = prunedCount;
        PrunedAt = prunedAt;
    }

    /// <summary>The id of the last removed entry.</summary>
    public long Id { get; }

    /// <summary>The hash of the last removed entry: the "previous hash" of the entry after it.</summary>
    public byte[] Hash { get; }

    /// <summary>How many entries retention has removed in all.</summary>
    public long PrunedCount { get; }

    /// <summary>When the last removal happened (the newest entry's timestamp then).</summary>
    public DateTimeOffset PrunedAt { get; }
}

/// <summary>
/// How long a durable log keeps entries (a sink's options' <c>MaxAge</c> and <c>MaxEntries</c>); pruning removes the
/// oldest first and leaves a <see cref="AuditCheckpoint"/>.
/// </summary>
internal sealed record AuditRetention(TimeSpan? MaxAge, long? MaxEntries)
{
    /// <summary>The limits of a sink's options, checked; null when there is none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is zero or negative (the message names the options type).</exception>
    public static AuditRetention? Of(string optionsType, TimeSpan? maxAge, long? maxEntries)
    {
        if (maxAge is { } age && age <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException("MaxAge", age, $"{optionsType}.MaxAge must be positive (or null: no age limit).");
        }

        if (maxEntries is { } count && count <= 0)
        {
            throw new ArgumentOutOfRangeException("MaxEntries", count, $"{optionsType}.MaxEntries must be positive (or null: no count limit).");
        }

        return maxAge is null && maxEntries is null ? null : new AuditRetention(maxAge, maxEntries);
    }
}
