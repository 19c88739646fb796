using System;
using System.Collections.Generic;
using SochDb.Policy.Audit;

namespace SochDb.Policy;

internal abstract partial class AuditLedger
{
    /// <summary>
    /// Starts a walk of the chain from the retention checkpoint (or the first entry); <see cref="ContinueWalk"/> reads it
    /// on, slice by slice. <see cref="Verify()"/> is one walk read to the end.
    /// </summary>
    internal AuditChainWalk StartWalk(AuditHead? anchored = null)
    {
        AuditCheckpoint? checkpoint = ReadCheckpoint();
        var walk = new AuditChainWalk(checkpoint, anchored);
        if (anchored is not null && checkpoint is not null && anchored.Id == checkpoint.Id && !anchored.Hash.AsSpan().SequenceEqual(checkpoint.Hash))
        {
            walk.Break(new AuditVerification(0, checkpoint.Id,
                $"the retention checkpoint #{checkpoint.Id} does not match the anchored head {anchored}: the log was rewritten up to it",
                checkpoint.Id, checkpoint.Hash, checkpoint.Id));
        }

        return walk;
    }

    /// <summary>
    /// Reads the chain on from where <paramref name="walk"/> stopped, at most <paramref name="maxEntries"/> entries, and
    /// checks each against the one before it. Returns the verification when the walk reached the newest entry (intact
    /// so far, or not) or found a break; null when there is more to read. A walk that reached the newest entry can be
    /// continued later: it then checks only the entries appended since. When retention moved the checkpoint meanwhile,
    /// the walk goes on from the new one (and requires its witness, as <see cref="Verify()"/> does).
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint went back or changed in place: the walk cannot go on; start a new one.</exception>
    internal AuditVerification? ContinueWalk(AuditChainWalk walk, long maxEntries)
    {
        ArgumentNullException.ThrowIfNull(walk);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        if (walk.Broken is { } broken)
        {
            return broken;
        }

        AuditCheckpoint? checkpoint = ReadCheckpoint();
        if ((checkpoint?.Id ?? 0) != walk.CheckpointId)
        {
            walk.MoveCheckpoint(checkpoint);
        }

        long read = 0;
        while (read < maxEntries)
        {
            int size = (int)Math.Min(1024, maxEntries - read);
            IReadOnlyList<AuditRecord> page = ReadRecords(new AuditQuery { OldestFirst = true, After = walk.LastReadId, PageSize = size });
            foreach (AuditRecord record in page)
            {
                if (walk.Step(record, _chainKey) is { } problem)
                {
                    return problem;
                }
            }

            read += page.Count;
            if (page.Count < size)
            {
                return walk.Finish();
            }
        }

        return null;
    }
}

/// <summary>
/// Where a walk of a ledger's hash chain stands: the next id it expects, the hash that entry must chain from, the
/// checkpoint it started from and whether the chain has witnessed it. Not thread-safe: one caller at a time.
/// </summary>
internal sealed class AuditChainWalk
{
    // A verification lists at most this many gap records.
    private const int MaxGapIds = 10_000;

    // The reasons of the newest retention witnesses read, so a checkpoint that moves after its witness was read is still witnessed.
    private const int WitnessesRemembered = 64;

    private readonly AuditHead? _anchored;
    private readonly List<long> _gaps = [];
    private readonly Queue<string> _witnessesSeen = new();
    private byte[] _previous;
    private string? _witness;
    private bool _witnessed;

    public AuditChainWalk(AuditCheckpoint? checkpoint, AuditHead? anchored)
    {
        _anchored = anchored;
        CheckpointId = checkpoint?.Id ?? 0;
        Expected = CheckpointId + 1;
        _previous = checkpoint?.Hash ?? AuditCanonicalForm.Genesis;
        _witness = checkpoint is null ? null : AuditLedger.RetentionWitness(checkpoint.Id, checkpoint.Hash);
        _witnessed = checkpoint is null;
    }

    /// <summary>The checkpoint the chain is checked from.</summary>
    public long CheckpointId { get; private set; }

    /// <summary>The id the next entry must have.</summary>
    public long Expected { get; private set; }

    /// <summary>The newest entry checked and found linked (the checkpoint before any).</summary>
    public long VerifiedThroughId => Expected - 1;

    /// <summary>How many entries were read.</summary>
    public long Checked { get; private set; }

    /// <summary>The break found, if any; a broken walk stays broken.</summary>
    public AuditVerification? Broken { get; private set; }

    /// <summary>The id to read after: none before the first read, so rows at or before the checkpoint show.</summary>
    internal long? LastReadId => Checked == 0 && Expected == CheckpointId + 1 ? null : Expected - 1;

    internal void Break(AuditVerification broken) => Broken = broken;

    /// <summary>Retention moved the checkpoint since the walk read it.</summary>
    internal void MoveCheckpoint(AuditCheckpoint? checkpoint)
    {
        if (checkpoint is null || checkpoint.Id < CheckpointId)
        {
            throw new InvalidOperationException(
                $"The decision log's retention checkpoint went from #{CheckpointId} to #{checkpoint?.Id ?? 0} during the walk; start the verification again.");
        }

        if (checkpoint.Id >= Expected)
        {
            // Entries the walk had not reached were removed: go on from the checkpoint, as a new walk would.
            Expected = checkpoint.Id + 1;
            _previous = checkpoint.Hash;
        }

        CheckpointId = checkpoint.Id;
        _witness = AuditLedger.RetentionWitness(checkpoint.Id, checkpoint.Hash);
        _witnessed = _witnessesSeen.Contains(_witness);
    }

    /// <summary>Checks the next record; returns the verification that reports it when the chain breaks there.</summary>
    internal AuditVerification? Step(AuditRecord record, byte[]? chainKey)
    {
        Checked++;
        if (record.Id != Expected)
        {
            string problem = record.Id > Expected
                ? (record.Id == Expected + 1 ? $"entry #{Expected} is missing" : $"entries #{Expected} to #{record.Id - 1} are missing")
                    + $" (the log goes from #{Expected - 1} to #{record.Id})"
                : record.Id <= CheckpointId
                    ? $"entry #{record.Id} is at or before the retention checkpoint #{CheckpointId}, which removed it"
                    : $"entry #{record.Id} is out of order (expected #{Expected})";
            return Fail(Math.Min(record.Id, Expected), problem);
        }

        byte[] recomputed = AuditCanonicalForm.Hash(_previous, record.Id, record.Entry, chainKey);
        if (!recomputed.AsSpan().SequenceEqual(record.Hash))
        {
            string hint = chainKey is null && record.Id == CheckpointId + 1 ? " (a keyed log verifies only with its chain key)" : string.Empty;
            return Fail(record.Id, $"entry #{record.Id} does not match its hash: it was edited, or moved from elsewhere in the log{hint}");
        }

        if (_anchored is not null && record.Id == _anchored.Id && !record.Hash.AsSpan().SequenceEqual(_anchored.Hash))
        {
            return Fail(record.Id, $"entry #{record.Id} is not the anchored head {_anchored}: the log was rewritten and chained again up to it");
        }

        if (record.Entry.Result == AuditResult.EntriesRemoved && record.Entry.Reason is { } reason)
        {
            _witnessed |= reason == _witness;
            _witnessesSeen.Enqueue(reason);
            if (_witnessesSeen.Count > WitnessesRemembered)
            {
                _witnessesSeen.Dequeue();
            }
        }

        if (record.Entry.Result == AuditResult.EntriesDropped && _gaps.Count < MaxGapIds)
        {
            _gaps.Add(record.Id);
        }

        _previous = record.Hash;
        Expected++;
        return null;
    }

    /// <summary>The walk reached the newest entry: intact up to it, unless the checkpoint is unwitnessed or the anchored head is beyond it.</summary>
    internal AuditVerification Finish()
    {
        long head = Expected - 1;
        if (!_witnessed)
        {
            return Fail(CheckpointId,
                $"the retention checkpoint #{CheckpointId} is not witnessed by any entry of the chain: entries up to #{CheckpointId} were removed outside retention");
        }

        if (_anchored is not null && _anchored.Id > head)
        {
            string removed = head == CheckpointId ? "every entry was removed" : $"entries #{head + 1} to #{_anchored.Id} were removed";
            return Fail(head + 1, $"the log ends at #{head} but its anchored head is {_anchored}: {removed}");
        }

        return new AuditVerification(Checked, null, null, head, _previous, CheckpointId) { GapIds = _gaps.ToArray() };
    }

    private AuditVerification Fail(long brokenId, string problem)
    {
        Broken = new AuditVerification(Checked, brokenId, problem, Expected - 1, _previous, CheckpointId);
        return Broken;
    }
}
