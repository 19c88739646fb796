using System;
using System.Collections.Generic;
using System.IO;
using SochDb.Policy.Audit;

namespace SochDb.Policy.PostgreSql;

/// <summary>
/// The durable audit log in PostgreSQL: a table (default <c>sochdb_audit</c>) of decision entries, each carrying the
/// hash that chains it to the one before, plus a one-row checkpoint table for retention. Give it to an engine through
/// <c>AuditOptions.Sinks</c>; query, verify and prune it here.
/// </summary>
/// <remarks>
/// Each batch of entries is appended in one transaction; queries run on pooled connections meanwhile. A log has one
/// writer: its ids and hash chain continue from the last row it finds at start-up, so each engine (each worker of a
/// fleet) writes its own table, for example <c>sochdb_audit_worker1</c>; several tables are queried side by side.
/// Failures are <see cref="IOException"/>s naming the table (PostgreSQL's messages carry no key text).
/// <para>
/// A state table (the table's name plus <c>_state</c>) marks the log open while a writer has it and closed when that
/// writer is disposed; a writer that finds it still open (the previous one crashed or was killed) first appends a gap
/// record saying that entries after the last one may be missing. With <see cref="AuditDurability.WithWrite"/> and a
/// <see cref="PostgresStore"/> on the same database, the entries of writes are inserted in the writes' own
/// transactions.
/// </para>
/// </remarks>
public sealed class PostgresAuditSink : AuditSink, IAuditLedgerSink
{
    /// <summary>The default table name.</summary>
    public const string DefaultTableName = "sochdb_audit";

    private readonly PostgresAuditLedger _ledger;

    private PostgresAuditSink(PostgresAuditLedger ledger)
        : base(ledger.Name)
    {
        _ledger = ledger;
    }

    /// <summary>
    /// Connects and opens (creating if needed) the audit table. An existing log continues where it ended (its chain
    /// too).
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="options">Table name and retention; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="connectionString"/> is null.</exception>
    /// <exception cref="ArgumentException">The connection string is not valid, or the table name is not a plain identifier.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PostgresAuditSinkOptions.MaxAge"/> or <see cref="PostgresAuditSinkOptions.MaxEntries"/> is not positive.</exception>
    /// <exception cref="InvalidDataException">A table of that name exists with other columns (it is left unchanged).</exception>
    /// <exception cref="IOException">The server cannot be reached or refused the set-up.</exception>
    public static PostgresAuditSink Open(string connectionString, PostgresAuditSinkOptions? options = null) =>
        new(PostgresAuditLedger.Open(connectionString, options));

    /// <summary>The audit table.</summary>
    public string TableName => _ledger.TableName;

    /// <summary>Whether the chain is keyed (<see cref="PostgresAuditSinkOptions.ChainKey"/>): hashes are HMAC-SHA256 under the key.</summary>
    public bool IsKeyed => _ledger.IsKeyed;

    /// <summary>Always true: this is a durable log.</summary>
    public override bool IsDurable => true;

    /// <summary>The ledger (for the store on the same database).</summary>
    internal PostgresAuditLedger Ledger => _ledger;

    AuditLedger IAuditLedgerSink.Ledger => _ledger;

    /// <summary>Chains <paramref name="batch"/> onto the log and appends it in one transaction, then applies retention.</summary>
    public override void Write(IReadOnlyList<AuditEntry> batch) => _ledger.Write(batch);

    /// <summary>
    /// The entries matching <paramref name="query"/>, streamed page by page (<see cref="AuditQuery.PageSize"/> at a
    /// time), so memory stays bounded whatever the size of the log. Each carries its id and its chain hash.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A field of <paramref name="query"/> is out of range.</exception>
    public IEnumerable<AuditEntry> Query(AuditQuery query) => _ledger.Query(query);

    /// <summary>
    /// Walks the chain from the retention checkpoint (or the first entry) to the newest entry and reports the first
    /// entry where it breaks (a missing id, an id out of order, a hash that does not match, a checkpoint no entry
    /// witnesses). Streams, so memory stays bounded. <see cref="Verify(AuditHead)"/> with a head kept elsewhere also
    /// shows a log cut short, emptied or chained again.
    /// </summary>
    /// <exception cref="IOException">The log could not be read.</exception>
    public AuditVerification Verify() => _ledger.Verify();

    /// <summary><see cref="Verify()"/>, and also that the log still reaches <paramref name="expectedHead"/> with its hash.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="expectedHead"/> is null.</exception>
    /// <exception cref="IOException">The log could not be read.</exception>
    public AuditVerification Verify(AuditHead expectedHead) => _ledger.Verify(expectedHead);

    /// <summary>
    /// Applies retention (<see cref="PostgresAuditSinkOptions.MaxAge"/>, <see cref="PostgresAuditSinkOptions.MaxEntries"/>)
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

/// <summary>Options of <see cref="PostgresAuditSink.Open"/>.</summary>
public sealed record PostgresAuditSinkOptions
{
    /// <summary>The audit table (optionally <c>schema.table</c>; the checkpoint table is this plus <c>_checkpoint</c>); default <c>sochdb_audit</c>.</summary>
    public string TableName { get; init; } = PostgresAuditSink.DefaultTableName;

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
    /// write the table but does not hold the key cannot produce a chain that verifies. At least 16 bytes (32 random
    /// bytes are best); keep it outside the database, as a secret. A sink opened without the key (or with another)
    /// reads and queries a keyed log but refuses to extend it. Default null.
    /// </summary>
    public byte[]? ChainKey { get; init; }
}
