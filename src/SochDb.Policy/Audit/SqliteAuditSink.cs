using System;
using System.Collections.Generic;
using System.IO;
using SochDb.Policy.Audit;

namespace SochDb.Policy;

/// <summary>
/// The durable audit log in a SQLite file: a table (default <c>sochdb_audit</c>) of decision entries, each carrying
/// the hash that chains it to the one before, plus a one-row checkpoint table for retention. It may live in the store's
/// own database file (give the same path as <see cref="SochDb.Database.Open"/>, which
/// <see cref="AuditDurability.WithWrite"/> needs) or in a file of its own.
/// </summary>
/// <remarks>
/// One writer connection appends each batch in one transaction (<c>synchronous=FULL</c> by default: an fsync per
/// batch); one reader connection serves queries, so a query never waits for an fsync. The file is in WAL mode. Indexes
/// on the agent id, the session id and the time keep filtered pages cheap. <see cref="Write"/> runs on the engine's one
/// background writer; <see cref="Query"/> and <see cref="Verify()"/> may run on any thread meanwhile.
/// </remarks>
public sealed class SqliteAuditSink : AuditSink, IAuditLedgerSink
{
    /// <summary>The default table name.</summary>
    public const string DefaultTableName = "sochdb_audit";

    private readonly SqliteAuditLedger _ledger;

    private SqliteAuditSink(SqliteAuditLedger ledger)
        : base(ledger.Name)
    {
        _ledger = ledger;
    }

    /// <summary>
    /// Opens (creating if needed) the audit table in the SQLite file at <paramref name="path"/>; the directory must
    /// exist. An existing log continues where it ended (its chain too).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, a directory or not a regular file (a FIFO, a device), or the table name is not a plain identifier.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a SQLite database, holds a table of that name with other columns, or is damaged (found while
    /// opening; later reads report damage the same way). The message names the file.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SqliteAuditSinkOptions.MaxAge"/> or <see cref="SqliteAuditSinkOptions.MaxEntries"/> is not positive.</exception>
    /// <exception cref="IOException">SQLite could not open the file.</exception>
    public static SqliteAuditSink Open(string path, SqliteAuditSinkOptions? options = null) => new(SqliteAuditLedger.Open(path, options));

    /// <summary>The full path of the file.</summary>
    public string Path => _ledger.Path;

    /// <summary>Whether the chain is keyed (<see cref="SqliteAuditSinkOptions.ChainKey"/>): hashes are HMAC-SHA256 under the key.</summary>
    public bool IsKeyed => _ledger.IsKeyed;

    /// <summary>Always true: this is a durable log.</summary>
    public override bool IsDurable => true;

    /// <summary>The ledger (for the engine and its friends).</summary>
    internal SqliteAuditLedger Ledger => _ledger;

    AuditLedger IAuditLedgerSink.Ledger => _ledger;

    /// <summary>Chains <paramref name="batch"/> onto the log and appends it in one transaction, then applies retention.</summary>
    public override void Write(IReadOnlyList<AuditEntry> batch) => _ledger.Write(batch);

    /// <inheritdoc />
    public override void Flush() => _ledger.Flush();

    /// <summary>
    /// The entries matching <paramref name="query"/>, streamed page by page (<see cref="AuditQuery.PageSize"/> at a
    /// time), so memory stays bounded whatever the size of the log. Each carries its id (<see cref="AuditEntry.Sequence"/>)
    /// and its chain hash.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A field of <paramref name="query"/> is out of range.</exception>
    public IEnumerable<AuditEntry> Query(AuditQuery query) => _ledger.Query(query);

    /// <summary>
    /// Walks the chain from the retention checkpoint (or the first entry) to the newest entry and reports the first
    /// entry where it breaks: a missing id (deleted row), an id out of order, a hash that does not match the entry's
    /// content and the hash before it (edited or swapped row), or a retention checkpoint that no entry of the chain
    /// witnesses (entries removed outside retention). Streams, so memory stays bounded. A log cut short at its newest
    /// end, emptied, or rewritten and chained again still verifies on its own; <see cref="Verify(AuditHead)"/> with a
    /// head kept elsewhere shows it.
    /// </summary>
    /// <exception cref="IOException">The log could not be read.</exception>
    /// <exception cref="InvalidDataException">The log's file is damaged (the message names it).</exception>
    public AuditVerification Verify() => _ledger.Verify();

    /// <summary>
    /// <see cref="Verify()"/>, and also that the log still reaches <paramref name="expectedHead"/> (published earlier by
    /// an <see cref="IAuditAnchor"/>, or read from <see cref="AuditVerification.Head"/>): the entry with its id must be
    /// there with its hash.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="expectedHead"/> is null.</exception>
    /// <exception cref="IOException">The log could not be read.</exception>
    /// <exception cref="InvalidDataException">The log's file is damaged (the message names it).</exception>
    public AuditVerification Verify(AuditHead expectedHead) => _ledger.Verify(expectedHead);

    /// <summary>
    /// Applies retention (<see cref="SqliteAuditSinkOptions.MaxAge"/>, <see cref="SqliteAuditSinkOptions.MaxEntries"/>)
    /// now, leaving a checkpoint so the rest still verifies. Returns how many entries were removed.
    /// </summary>
    public long Prune() => _ledger.Prune();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ledger.Dispose();
        }
    }
}

/// <summary>Options of <see cref="SqliteAuditSink.Open"/>.</summary>
public sealed record SqliteAuditSinkOptions
{
    /// <summary>The audit table's name (the checkpoint table is this plus <c>_checkpoint</c>); default <c>sochdb_audit</c>.</summary>
    public string TableName { get; init; } = SqliteAuditSink.DefaultTableName;

    /// <summary>Durability of each batch's commit; default <see cref="Durability.Full"/> (an fsync per batch).</summary>
    public Durability Durability { get; init; } = Durability.Full;

    /// <summary>
    /// Retention by age: entries older than this, measured from the newest entry's timestamp, are removed (oldest first,
    /// leaving a checkpoint the rest verifies from). Null (default): no age limit.
    /// </summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>
    /// Retention by count: at most this many entries are kept (oldest removed first, leaving a checkpoint the rest
    /// verifies from). Null (default): no count limit.
    /// </summary>
    public long? MaxEntries { get; init; }

    /// <summary>
    /// The key of a keyed chain: each entry's hash becomes HMAC-SHA256 under it instead of plain SHA-256, so whoever can
    /// write the database but does not hold the key cannot produce a chain that verifies. At least 16 bytes (32 random
    /// bytes are best); keep it outside the log, as a secret. A sink opened without the key (or with another) reads and
    /// queries a keyed log but refuses to extend it; <see cref="AuditLedger.Verify()"/> needs the key. Default null.
    /// </summary>
    public byte[]? ChainKey { get; init; }
}
