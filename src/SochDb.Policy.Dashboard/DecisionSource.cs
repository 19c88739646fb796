using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace SochDb.Policy.Dashboard;

/// <summary>
/// Where the dashboard reads decisions: the durable log when one is configured (keyset pages by entry id, filters in
/// SQL), else the engine's in-memory ring. Also keeps the per-rule counts of the rules page, tallied from the log
/// itself — entries appended since the dashboard started, read incrementally on each view — so the engine does no
/// extra work per operation whether or not anyone looks. Verifies the chain in passes of bounded slices, so no page
/// view reads more than its time budget whatever the size of the log.
/// </summary>
internal sealed class DecisionSource
{
    private readonly PolicyEngine _engine;
    private readonly AuditLedger? _ledger;
    private readonly Lock _tallyLock = new();
    private readonly Dictionary<string, RuleCounts> _counts = new(StringComparer.Ordinal);
    private long _tallied = -1;

    private readonly Lock _verifyLock = new();
    private AuditChainWalk? _walk;
    private bool _walkDone;
    private AuditHead? _lastIntactHead;
    private int _pass;

    public DecisionSource(PolicyEngine engine, AuditLedger? ledger)
    {
        _engine = engine;
        _ledger = ledger;
        Started = DateTimeOffset.UtcNow;
    }

    /// <summary>How long one page view may spend reading the log for the rule counts or the verification (then it stops at a page boundary).</summary>
    public required TimeSpan ViewBudget { get; init; }

    /// <summary>Entries read per step of the tally or the verification, between looks at the clock.</summary>
    public required int SliceEntries { get; init; }

    public bool IsDurable => _ledger is not null;

    public DateTimeOffset Started { get; }

    /// <summary>Ids one filtered page of the durable log searches at most (newest first), so a filter that matches little stays cheap.</summary>
    public required long SearchWindow { get; init; }

    /// <summary>
    /// One page, newest first, continuing below <paramref name="before"/>. From the durable log a filter other than the
    /// agent's (which has its own index) searches one window of <see cref="SearchWindow"/> ids at a time: a page with
    /// fewer matches than it holds says which ids it searched, and its next link goes on below them.
    /// </summary>
    public LogPage Page(AuditQuery filters, long? before, int pageSize)
    {
        if (_ledger is not null)
        {
            long? atLeast = null;
            if (filters.Result is not null || filters.Rule is not null || filters.From is not null || filters.To is not null || filters.SessionId is not null)
            {
                long below = before ?? NewestId(_ledger) + 1;
                atLeast = Math.Max(1, below - SearchWindow);
                before = below;
            }

            AuditPage page = _ledger.ReadPage(filters with { After = before, AtLeast = atLeast, PageSize = pageSize });
            if (page.Next is not null || atLeast is null)
            {
                return new LogPage(page.Records, page.Next?.After, null);
            }

            // The window held fewer matches than a page: say what was searched, and go on below it (if anything is there).
            return new LogPage(page.Records, atLeast > 1 ? atLeast : null, (atLeast.Value, before!.Value - 1));
        }

        // The ring: entries have a sequence but no chain; shown as records with an empty hash.
        var matches = new List<AuditRecord>();
        IReadOnlyList<AuditEntry> ring = _engine.Audit.Recent(int.MaxValue, filters.AgentId);
        for (int i = ring.Count - 1; i >= 0 && matches.Count <= pageSize; i--)
        {
            AuditEntry entry = ring[i];
            if ((before is null || entry.Sequence < before) && Matches(entry, filters))
            {
                matches.Add(new AuditRecord(entry.Sequence, entry, []));
            }
        }

        long? next = matches.Count > pageSize ? matches[pageSize - 1].Id : null;
        return new LogPage(matches.Count > pageSize ? matches.GetRange(0, pageSize) : matches, next, null);
    }

    /// <summary>
    /// Goes on verifying the chain for at most <see cref="ViewBudget"/>: the pass in progress continues from the last
    /// entry it verified; after a pass ended a new one starts from the first entry (the checkpoint), anchored at the head
    /// the last intact pass reached, so an entry edited since, or a log cut short or chained again, shows. Null without
    /// a durable log.
    /// </summary>
    public VerifyProgress? Verify()
    {
        if (_ledger is null)
        {
            return null;
        }

        lock (_verifyLock)
        {
            bool restarted = false;
            if (_walk is null || _walkDone)
            {
                _walk = _ledger.StartWalk(_lastIntactHead);
                _walkDone = false;
                _pass++;
            }

            long started = Stopwatch.GetTimestamp();
            long checkedBefore = _walk.Checked;
            AuditVerification? result;
            try
            {
                do
                {
                    result = _ledger.ContinueWalk(_walk, SliceEntries);
                }
                while (result is null && Stopwatch.GetElapsedTime(started) < ViewBudget);
            }
            catch (InvalidOperationException)
            {
                // Retention's checkpoint moved back under the walk (the log was replaced): a new pass starts on the next view.
                result = null;
                _walkDone = true;
                restarted = true;
            }

            if (result is not null)
            {
                _walkDone = true;
                if (result.IsIntact)
                {
                    _lastIntactHead = result.Head;
                }
            }

            return new VerifyProgress(_pass, result, _walk.CheckpointId, _walk.VerifiedThroughId, _walk.Checked, _walk.Checked - checkedBefore,
                NewestId(_ledger), restarted);
        }
    }

    /// <summary>Counts per rule text since the dashboard started, brought up to date (within a budget); and whether it is behind.</summary>
    public (IReadOnlyDictionary<string, RuleCounts> Counts, bool Behind) Tally()
    {
        lock (_tallyLock)
        {
            bool behind = _ledger is not null ? TallyLedger(_ledger) : TallyRing();
            return (new Dictionary<string, RuleCounts>(_counts, StringComparer.Ordinal), behind);
        }
    }

    /// <summary>Starts the tally at the log's current end, so counts are "since start".</summary>
    public void StartTally()
    {
        lock (_tallyLock)
        {
            if (_ledger is not null)
            {
                IReadOnlyList<AuditRecord> newest = _ledger.ReadPage(new AuditQuery { PageSize = 1 }).Records;
                _tallied = newest.Count == 0 ? 0 : newest[0].Id;
            }
            else
            {
                IReadOnlyList<AuditEntry> ring = _engine.Audit.Recent(1);
                _tallied = ring.Count == 0 ? -1 : ring[0].Sequence;
            }
        }
    }

    private static long NewestId(AuditLedger ledger) => ledger.ReadPage(new AuditQuery { PageSize = 1 }).Records is [var newest] ? newest.Id : 0;

    private bool TallyLedger(AuditLedger ledger)
    {
        long started = Stopwatch.GetTimestamp();
        AuditQuery? query = new() { OldestFirst = true, After = _tallied, PageSize = SliceEntries };
        while (query is not null && Stopwatch.GetElapsedTime(started) < ViewBudget)
        {
            AuditPage page = ledger.ReadPage(query);
            foreach (AuditRecord record in page.Records)
            {
                Count(record.Entry);
                _tallied = record.Id;
            }

            query = page.Next;
        }

        return query is not null;
    }

    private bool TallyRing()
    {
        IReadOnlyList<AuditEntry> ring = _engine.Audit.Recent(int.MaxValue);
        foreach (AuditEntry entry in ring)
        {
            if (entry.Sequence > _tallied)
            {
                Count(entry);
                _tallied = entry.Sequence;
            }
        }

        return false;
    }

    private void Count(AuditEntry entry)
    {
        if (entry.Rule is null)
        {
            return;
        }

        _counts.TryGetValue(entry.Rule, out RuleCounts counts);
        counts.Hits++;
        if (entry.Result == AuditResult.WouldDeny)
        {
            counts.WouldDeny++;
        }
        else if (entry.Result == AuditResult.Denied)
        {
            counts.Denied++;
        }

        _counts[entry.Rule] = counts;
    }

    private static bool Matches(AuditEntry entry, AuditQuery filters) =>
        (filters.Result is null || entry.Result == filters.Result)
        && (filters.Rule is null || string.Equals(entry.Rule, filters.Rule, StringComparison.Ordinal))
        && (filters.From is null || entry.Timestamp >= filters.From)
        && (filters.To is null || entry.Timestamp < filters.To);
}

/// <summary>One page of the decision log.</summary>
/// <param name="Records">The entries, newest first.</param>
/// <param name="Next">Where the next page continues (entries below this id); null when nothing is left.</param>
/// <param name="Searched">The ids a filtered page searched, when it found fewer matches than a page holds.</param>
internal sealed record LogPage(IReadOnlyList<AuditRecord> Records, long? Next, (long From, long To)? Searched);

/// <summary>What one view of the verification page found.</summary>
/// <param name="Pass">Which pass this is (1 for the first since the dashboard started).</param>
/// <param name="Result">The pass's verification when it reached the newest entry or a break; null while it goes on.</param>
/// <param name="CheckpointId">The retention checkpoint the pass started after (0: the first entry).</param>
/// <param name="VerifiedThroughId">The newest entry the pass has verified.</param>
/// <param name="Checked">Entries the pass has read.</param>
/// <param name="CheckedThisView">Entries this view read.</param>
/// <param name="NewestId">The newest entry of the log now.</param>
/// <param name="Restarted">The checkpoint went back under the pass; the next view starts a new one.</param>
internal sealed record VerifyProgress(int Pass, AuditVerification? Result, long CheckpointId, long VerifiedThroughId, long Checked, long CheckedThisView,
    long NewestId, bool Restarted);

/// <summary>Decisions naming one rule since the dashboard started.</summary>
internal struct RuleCounts
{
    public long Hits;
    public long Denied;
    public long WouldDeny;
}
