using System;
using System.Collections.Generic;
using System.Threading;
using SochDb.Policy.Audit;

namespace SochDb.Policy;

/// <summary>
/// A durable audit log that keeps a hash chain, answers queries page by page, verifies itself and prunes by
/// retention. This class does the chaining, verification, paging and pruning; a concrete ledger only stores and reads
/// rows (see <see cref="SqliteAuditSink"/>, and <see cref="AuditSqlQuery"/> for the SQL of a query).
/// </summary>
/// <remarks>
/// Every record carries <c>SHA-256(previous hash ‖ canonical entry)</c> (<c>HMAC-SHA256</c> under a chain key, for a
/// keyed chain), the first one chaining from 32 zero bytes (or from the retention checkpoint). Retention appends an
/// entry naming the checkpoint it leaves, so a checkpoint written by anyone else shows. Ids run 1, 2, 3, ... without gaps, so a deleted row shows as a missing id, an
/// edited or reordered row as a hash that does not match its content. <see cref="Write"/> runs on the engine's one
/// background writer; <see cref="Query"/>, <see cref="ReadPage"/> and <see cref="Verify()"/> may run on any thread meanwhile.
/// </remarks>
public abstract partial class AuditLedger : AuditSink
{
    // Retention runs after this many appended entries (and on Prune()), so its cost is spread thin.
    private const int PruneEvery = 1024;

    private readonly Lock _chainLock = new();
    private readonly AuditRetention? _retention;
    private readonly byte[]? _chainKey;
    private bool _headKnown;
    private long _headId;
    private byte[] _headHash = AuditCanonicalForm.Genesis;
    private DateTimeOffset _headTime;
    private long _appendedSincePrune;

    // Whether this ledger has marked the log as open for writing, and whether the previous writer left it open (it
    // stopped without closing: a crash, a kill) so a gap record is still to be appended.
    private bool _writing;
    private bool _uncleanGapPending;

    // The last batch whose append threw, and where the head would be had it been committed. A store can fail after
    // the commit (a lost connection reply, an I/O error while finishing), so when the same batch comes again (the
    // writer retries it) and the head read back is exactly there, it was committed and is not appended twice.
    private UncertainAppend? _uncertain;

    // Whether that batch was found committed before a write appended with its data moved the head past it (null: not settled yet).
    private bool? _uncertainCommitted;

    /// <summary>Creates a ledger called <paramref name="name"/> with an optional retention, chained with plain SHA-256.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A retention limit is not positive.</exception>
    private protected AuditLedger(string name, AuditRetention? retention)
        : this(name, retention, chainKey: null)
    {
    }

    /// <summary>
    /// Creates a ledger called <paramref name="name"/> with an optional retention, chained with HMAC-SHA256 under
    /// <paramref name="chainKey"/> (null: plain SHA-256). Keep the key outside the log: whoever can write the log's
    /// database but not read the key cannot produce a chain that verifies.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A retention limit is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="chainKey"/> has fewer than 16 bytes.</exception>
    private protected AuditLedger(string name, AuditRetention? retention, byte[]? chainKey)
        : base(name)
    {
        if (chainKey is { Length: < 16 })
        {
            throw new ArgumentException($"A chain key has {chainKey.Length} bytes; it needs at least 16 (32 random bytes are best).", nameof(chainKey));
        }

        _retention = retention;
        _chainKey = (byte[]?)chainKey?.Clone();
    }

    /// <summary>Whether the chain is HMAC-SHA256 under a chain key (else plain SHA-256).</summary>
    public bool IsKeyed => _chainKey is not null;

    /// <summary>Always true: a ledger is the durable log.</summary>
    public override bool IsDurable => true;

    /// <summary>Chains <paramref name="batch"/> onto the log and appends it in one transaction, then applies retention.</summary>
    public sealed override void Write(IReadOnlyList<AuditEntry> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return;
        }

        lock (_chainLock)
        {
            StartWriting();
            if (WasCommittedBefore(batch))
            {
                return;
            }

            var records = new AuditRecord[batch.Count];
            long id = _headId;
            byte[] previous = _headHash;
            for (int i = 0; i < batch.Count; i++)
            {
                AuditEntry entry = batch[i] ?? throw new ArgumentException($"The batch holds null at index {i}.", nameof(batch));
                id++;
                previous = AuditCanonicalForm.Hash(previous, id, entry, _chainKey);
                records[i] = new AuditRecord(id, entry, previous);
            }

            try
            {
                AppendRecords(records);
            }
            catch
            {
                // Whether anything was committed is the store's word: read the head again before the retry.
                _headKnown = false;
                _uncertain = new UncertainAppend(batch[0], batch[^1], batch.Count, id, previous);
                _uncertainCommitted = null;
                throw;
            }

            _headId = id;
            _headHash = previous;
            _headTime = records[^1].Entry.Timestamp;
            _appendedSincePrune += records.Length;
            if (_retention is not null && _appendedSincePrune >= PruneEvery)
            {
                try
                {
                    PruneCore();
                }
                catch (Exception)
                {
                    // The batch is committed: failing it now would make the writer append it again. Retention is
                    // tried again after the next append (Prune() reports its own failures).
                    _appendedSincePrune = PruneEvery;
                }
            }
        }
    }

    /// <summary>
    /// Chains <paramref name="entries"/> onto the log and hands the records to <paramref name="commitWithData"/>, which
    /// inserts them in the same transaction as a store's write (see <see cref="Audit.ITransactionalAuditStore"/>). The
    /// head moves only once that commits; when it throws, the head is read back before the next append.
    /// </summary>
    internal void AppendWithWrite(IReadOnlyList<AuditEntry> entries, Action<IReadOnlyList<AuditRecord>> commitWithData)
    {
        lock (_chainLock)
        {
            StartWriting();
            if (_uncertain is { } uncertain && _uncertainCommitted is null)
            {
                // This append moves the head: settle now whether the batch the writer will retry was committed.
                _uncertainCommitted = uncertain.LeavesHead(_headId, _headHash);
            }

            var records = new AuditRecord[entries.Count];
            long id = _headId;
            byte[] previous = _headHash;
            for (int i = 0; i < records.Length; i++)
            {
                id++;
                previous = AuditCanonicalForm.Hash(previous, id, entries[i], _chainKey);
                records[i] = new AuditRecord(id, entries[i], previous);
            }

            try
            {
                commitWithData(records);
            }
            catch
            {
                // Committed or not, the store says which: read the head again.
                _headKnown = false;
                throw;
            }

            if (records.Length > 0)
            {
                _headId = id;
                _headHash = previous;
                _headTime = records[^1].Entry.Timestamp;
                _appendedSincePrune += records.Length;
            }
        }
    }

    /// <summary>Whether this ledger has written to the log (and marked it open for writing).</summary>
    internal bool HasWritten
    {
        get
        {
            lock (_chainLock)
            {
                return _writing;
            }
        }
    }

    /// <summary>
    /// Marks the log as open for writing and returns whether it already was: its previous writer stopped without
    /// closing it, so entries it had not yet appended may be missing. Default: false (the ledger keeps no such mark).
    /// </summary>
    private protected virtual bool OpenForWriting() => false;

    // Under _chainLock, before anything is appended: the first write of this ledger marks the log open, and after an
    // unclean shutdown of the previous writer appends the gap record that says so.
    private void StartWriting()
    {
        if (!_writing)
        {
            _uncleanGapPending |= OpenForWriting();
            _writing = true;
        }

        EnsureHead();
        if (_uncleanGapPending)
        {
            AppendOwnEntry(new AuditEntry(-1, DateTimeOffset.UtcNow, PolicyOperation.All, Array.Empty<byte>(), AuditResult.EntriesDropped, null, null,
                "audit log", $"entries after #{_headId} may be missing: the process writing this log stopped without closing it, and entries still queued then were lost"));
            _uncleanGapPending = false;
        }
    }

    /// <summary>The head as this ledger last wrote or read it; null before it has written anything.</summary>
    internal AuditHead? CurrentHead()
    {
        lock (_chainLock)
        {
            return _headKnown ? new AuditHead(_headId, _headHash) : null;
        }
    }

    // Under _chainLock, with the head just read back: true when batch is the one whose append threw and the store
    // holds it after all (the head is exactly where that append leaves it). Either way the uncertainty is settled.
    private bool WasCommittedBefore(IReadOnlyList<AuditEntry> batch)
    {
        if (_uncertain is not { } uncertain)
        {
            return false;
        }

        _uncertain = null;
        bool committed = uncertain.IsSameBatch(batch) && (_uncertainCommitted ?? uncertain.LeavesHead(_headId, _headHash));
        _uncertainCommitted = null;
        if (committed)
        {
            _appendedSincePrune += batch.Count;
        }

        return committed;
    }

    /// <summary>A batch whose append threw, and the head it leaves when it was committed after all.</summary>
    private readonly record struct UncertainAppend(AuditEntry First, AuditEntry Last, int Count, long HeadId, byte[] HeadHash)
    {
        // The writer retries the very same entries (the same objects), so identity of both ends and the count suffice.
        public bool IsSameBatch(IReadOnlyList<AuditEntry> batch) =>
            batch.Count == Count && ReferenceEquals(batch[0], First) && ReferenceEquals(batch[^1], Last);

        // Whether the log's head is exactly where this batch leaves it when committed.
        public bool LeavesHead(long headId, byte[] headHash) => headId == HeadId && headHash.AsSpan().SequenceEqual(HeadHash);
    }

    /// <summary>
    /// The records matching <paramref name="query"/>, streamed page by page (<see cref="AuditQuery.PageSize"/> at a
    /// time), so memory stays bounded whatever the size of the log. Starts after <see cref="AuditQuery.After"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A field of <paramref name="query"/> is out of range.</exception>
    public IEnumerable<AuditEntry> Query(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return Entries(QueryCore(query));

        static IEnumerable<AuditEntry> Entries(IEnumerable<AuditRecord> records)
        {
            foreach (AuditRecord record in records)
            {
                yield return record.ToEntry();
            }
        }
    }

    /// <summary>
    /// One page of at most <see cref="AuditQuery.PageSize"/> records; <see cref="AuditPage.Next"/> is the query for
    /// the page after it (null after the last page).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A field of <paramref name="query"/> is out of range.</exception>
    internal AuditPage ReadPage(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        IReadOnlyList<AuditRecord> records = ReadRecords(query);
        AuditQuery? next = records.Count == query.PageSize ? query with { After = records[^1].Id } : null;
        return new AuditPage(records, next);
    }

    /// <summary>
    /// Walks the chain from the retention checkpoint (or the first entry) to the newest entry and reports the first
    /// entry where it breaks: a missing id (deleted row), an id out of order, a hash that does not match the entry's
    /// content and the hash before it (edited or swapped row), or a retention checkpoint that no entry of the chain
    /// witnesses (entries removed outside retention). Streams, so memory stays bounded.
    /// </summary>
    /// <remarks>
    /// A log cut short at its newest end, emptied, or rewritten and chained again from some entry on still verifies on
    /// its own; <see cref="Verify(AuditHead)"/> with a head kept elsewhere shows it.
    /// </remarks>
    /// <exception cref="System.IO.IOException">The log could not be read.</exception>
    /// <exception cref="System.IO.InvalidDataException">The log's file is damaged (the message names it).</exception>
    public AuditVerification Verify() => VerifyCore(null);

    /// <summary>
    /// <see cref="Verify()"/>, and also that the log still reaches <paramref name="expectedHead"/> (published earlier by
    /// an <see cref="IAuditAnchor"/>, or read from <see cref="AuditVerification.Head"/>): the entry with its id must be
    /// there with its hash. So a log whose newest entries were deleted, that was emptied, or that was rewritten and
    /// chained again up to that head, is reported. Entries written after the head are checked as usual.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="expectedHead"/> is null.</exception>
    /// <exception cref="System.IO.IOException">The log could not be read.</exception>
    /// <exception cref="System.IO.InvalidDataException">The log's file is damaged (the message names it).</exception>
    public AuditVerification Verify(AuditHead expectedHead)
    {
        ArgumentNullException.ThrowIfNull(expectedHead);
        return VerifyCore(expectedHead);
    }

    // The whole chain in one walk: a walk (AuditLedger.Walk.cs) with no bound on how much it reads.
    private AuditVerification VerifyCore(AuditHead? anchored) => ContinueWalk(StartWalk(anchored), long.MaxValue)!;

    /// <summary>The reason of the entry retention appends when it leaves a checkpoint at <paramref name="id"/>.</summary>
    internal static string RetentionWitness(long id, byte[] hash) =>
        $"entries up to #{id} were removed by retention; the chain continues from hash {Convert.ToHexStringLower(hash)}";

    /// <summary>
    /// Applies the sink's retention (its options' MaxAge and MaxEntries) now: removes the oldest entries beyond the count limit and older than the age
    /// limit (relative to the newest entry), and records a checkpoint so the rest still verifies. Returns how many were removed.
    /// </summary>
    public long Prune()
    {
        lock (_chainLock)
        {
            EnsureHead();
            return PruneCore();
        }
    }

    /// <summary>The newest record (highest id), or null when the log holds none.</summary>
    private protected abstract AuditRecord? ReadLastRecord();

    /// <summary>The retention checkpoint, or null when nothing was ever pruned.</summary>
    private protected abstract AuditCheckpoint? ReadCheckpoint();

    /// <summary>Stores <paramref name="records"/> (consecutive ids) in one transaction: all or nothing.</summary>
    private protected abstract void AppendRecords(IReadOnlyList<AuditRecord> records);

    /// <summary>
    /// At most <see cref="AuditQuery.PageSize"/> records matching <paramref name="query"/>'s filters, in its order,
    /// after its <see cref="AuditQuery.After"/> id (see <see cref="AuditSqlQuery"/> for the SQL).
    /// </summary>
    private protected abstract IReadOnlyList<AuditRecord> ReadRecords(AuditQuery query);

    /// <summary>The highest id whose timestamp is before <paramref name="time"/>, or null when there is none.</summary>
    private protected abstract long? FindLastIdBefore(DateTimeOffset time);

    /// <summary>Removes every record with an id up to <paramref name="lastId"/> and saves <paramref name="checkpoint"/>, in one transaction.</summary>
    private protected abstract void RemoveThrough(long lastId, AuditCheckpoint checkpoint);

    private IEnumerable<AuditRecord> QueryCore(AuditQuery query)
    {
        while (true)
        {
            IReadOnlyList<AuditRecord> page = ReadRecords(query);
            for (int i = 0; i < page.Count; i++)
            {
                yield return page[i];
            }

            if (page.Count < query.PageSize)
            {
                yield break;
            }

            query = query with { After = page[^1].Id };
        }
    }

    private void EnsureHead()
    {
        if (_headKnown)
        {
            return;
        }

        AuditRecord? last = ReadLastRecord();
        AuditCheckpoint? checkpoint = ReadCheckpoint();
        if (last is not null)
        {
            CheckChainKind(last, checkpoint);
        }

        _headId = last?.Id ?? checkpoint?.Id ?? 0;
        _headHash = last?.Hash ?? checkpoint?.Hash ?? AuditCanonicalForm.Genesis;
        _headTime = last?.Entry.Timestamp ?? checkpoint?.PrunedAt ?? DateTimeOffset.MinValue;
        _headKnown = true;
    }

    /// <summary>
    /// Refuses to extend a chain of another kind: a keyed one without its key (or with another key), a plain one with
    /// a key. Told by the newest entry, whose hash matches one way of chaining or neither.
    /// </summary>
    /// <exception cref="InvalidOperationException">The chain is of another kind (the message says which and what to do).</exception>
    private void CheckChainKind(AuditRecord last, AuditCheckpoint? checkpoint)
    {
        byte[]? previous = last.Id == 1 ? AuditCanonicalForm.Genesis
            : checkpoint is { } c && c.Id == last.Id - 1 ? c.Hash
            : ReadRecords(new AuditQuery { OldestFirst = true, After = last.Id - 2, PageSize = 1 }) is [var before] && before.Id == last.Id - 1 ? before.Hash
            : null;
        if (previous is null)
        {
            // The entry before the newest is gone: the chain is broken there, which Verify() reports; nothing tells its kind.
            return;
        }

        bool plain = AuditCanonicalForm.Hash(previous, last.Id, last.Entry).AsSpan().SequenceEqual(last.Hash);
        if (_chainKey is null)
        {
            if (!plain)
            {
                throw new InvalidOperationException(
                    $"The audit log {Name} is keyed (its newest entry #{last.Id} is not chained with plain SHA-256), and this sink has no chain key: " +
                    "it refuses to extend the log. Open it with its chain key (SqliteAuditSinkOptions.ChainKey).");
            }

            return;
        }

        if (!AuditCanonicalForm.Hash(previous, last.Id, last.Entry, _chainKey).AsSpan().SequenceEqual(last.Hash))
        {
            throw new InvalidOperationException(plain
                ? $"The audit log {Name} is not keyed (its newest entry #{last.Id} is chained with plain SHA-256), and this sink has a chain key: it refuses to extend the log. Start a new log for a keyed chain."
                : $"The audit log {Name}'s newest entry #{last.Id} does not match this sink's chain key: the log is keyed with another key, or the entry was altered. The sink refuses to extend it.");
        }
    }

    private long PruneCore()
    {
        _appendedSincePrune = 0;
        if (_retention is null)
        {
            return 0;
        }

        AuditCheckpoint? checkpoint = ReadCheckpoint();
        long floor = checkpoint?.Id ?? 0;
        long cut = floor;
        if (_retention.MaxEntries is { } maxEntries)
        {
            cut = Math.Max(cut, _headId - maxEntries);
        }

        if (_retention.MaxAge is { } maxAge && _headTime - DateTimeOffset.MinValue > maxAge && FindLastIdBefore(_headTime - maxAge) is { } old)
        {
            cut = Math.Max(cut, old);
        }

        if (cut <= floor)
        {
            return 0;
        }

        IReadOnlyList<AuditRecord> boundary = ReadRecords(new AuditQuery { OldestFirst = true, After = cut - 1, PageSize = 1 });
        if (boundary.Count == 0 || boundary[0].Id != cut)
        {
            // The entry that would anchor the checkpoint is gone: the chain is already broken there, and pruning past
            // it would hide that. Verify() reports it.
            return 0;
        }

        // First the chain witnesses the checkpoint (its own transaction), then the entries go: a crash between the two
        // leaves a witness of a checkpoint not yet taken, which is harmless.
        AppendWitness(cut, boundary[0].Hash);
        long removed = cut - floor;
        RemoveThrough(cut, new AuditCheckpoint(cut, boundary[0].Hash, (checkpoint?.PrunedCount ?? 0) + removed, _headTime));
        return removed;
    }

    // Under _chainLock: appends the entry naming the checkpoint that retention is about to leave.
    private void AppendWitness(long checkpointId, byte[] checkpointHash) =>
        AppendOwnEntry(new AuditEntry(-1, _headTime, PolicyOperation.All, Array.Empty<byte>(), AuditResult.EntriesRemoved, null, null, "retention",
            RetentionWitness(checkpointId, checkpointHash)));

    // Under _chainLock, the head known: appends one entry of the ledger's own (a witness, a gap record) in its own transaction.
    private void AppendOwnEntry(AuditEntry entry)
    {
        long id = _headId + 1;
        byte[] hash = AuditCanonicalForm.Hash(_headHash, id, entry, _chainKey);
        try
        {
            AppendRecords([new AuditRecord(id, entry, hash)]);
        }
        catch
        {
            _headKnown = false;
            throw;
        }

        _headId = id;
        _headHash = hash;
    }
}

/// <summary>One page of a query: the records, and the query that reads the page after them.</summary>
internal sealed class AuditPage
{
    internal AuditPage(IReadOnlyList<AuditRecord> records, AuditQuery? next)
    {
        Records = records;
        Next = next;
    }

    /// <summary>The records of this page, in the query's order.</summary>
    public IReadOnlyList<AuditRecord> Records { get; }

    /// <summary>The query for the next page (the same filters, <see cref="AuditQuery.After"/> this page's last id); null when this page is the last.</summary>
    public AuditQuery? Next { get; }
}
