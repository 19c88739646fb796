using System;
using System.Collections.Generic;
using System.Threading;

namespace SochDb.Policy.Dashboard;

/// <summary>
/// Where the dashboard reads decisions: the durable log when one is configured (keyset pages by entry id, filters in
/// SQL), else the engine's in-memory ring. Also keeps the per-rule counts of the rules page, tallied from the log
/// itself — entries appended since the dashboard started, read incrementally on each view — so the engine does no
/// extra work per operation whether or not anyone looks.
/// </summary>
internal sealed class DecisionSource
{
    /// <summary>The most entries one page view tallies; the rest wait for the next view (the page says so).</summary>
    private const int TallyBudget = 50_000;

    private readonly PolicyEngine _engine;
    private readonly AuditLedger? _ledger;
    private readonly Lock _tallyLock = new();
    private readonly Dictionary<string, RuleCounts> _counts = new(StringComparer.Ordinal);
    private long _tallied = -1;

    public DecisionSource(PolicyEngine engine, AuditLedger? ledger)
    {
        _engine = engine;
        _ledger = ledger;
        Started = DateTimeOffset.UtcNow;
    }

    public bool IsDurable => _ledger is not null;

    public DateTimeOffset Started { get; }

    /// <summary>One page, newest first, continuing below <paramref name="before"/>.</summary>
    public (IReadOnlyList<AuditRecord> Records, long? Next) Page(AuditQuery filters, long? before, int pageSize)
    {
        if (_ledger is not null)
        {
            AuditPage page = _ledger.ReadPage(filters with { Order = AuditOrder.NewestFirst, After = before, PageSize = pageSize });
            return (page.Records, page.Next?.After);
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
        return (matches.Count > pageSize ? matches.GetRange(0, pageSize) : matches, next);
    }

    public AuditVerification? Verify() => _ledger?.Verify();

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

    private bool TallyLedger(AuditLedger ledger)
    {
        int read = 0;
        AuditQuery? query = new() { Order = AuditOrder.OldestFirst, After = _tallied, PageSize = 2048 };
        while (query is not null && read < TallyBudget)
        {
            AuditPage page = ledger.ReadPage(query);
            foreach (AuditRecord record in page.Records)
            {
                Count(record.Entry);
                _tallied = record.Id;
            }

            read += page.Records.Count;
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

/// <summary>Decisions naming one rule since the dashboard started.</summary>
internal struct RuleCounts
{
    public long Hits;
    public long Denied;
    public long WouldDeny;
}
