using System;
using System.Collections.Generic;

namespace SochDb.Policy.Audit;

/// <summary>
/// A store whose database can also hold a durable decision log, and that writes the entries of a write in the write's
/// own transaction: a committed write always has its entries, a rolled-back one has none. The engine's store stage
/// calls it instead of the plain write when the log's durability asks for it.
/// </summary>
/// <remarks>
/// The ledger chains the entries (under its chain lock, so they take the next ids) and hands the records to the store,
/// which inserts them with the data in one transaction; only after the commit does the ledger move its head.
/// </remarks>
internal interface ITransactionalAuditStore
{
    /// <summary>Whether <paramref name="ledger"/> keeps its log in this store's database (so one transaction covers both).</summary>
    bool SharesDatabaseWith(AuditLedger ledger);

    /// <summary>Puts <paramref name="value"/> under <paramref name="key"/> and appends <paramref name="entry"/> to <paramref name="ledger"/>, in one transaction.</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, AuditLedger ledger, AuditEntry entry);

    /// <summary>Deletes <paramref name="key"/> and appends <paramref name="entry"/> to <paramref name="ledger"/>, in one transaction; returns whether the key was there.</summary>
    bool Delete(ReadOnlySpan<byte> key, AuditLedger ledger, AuditEntry entry);

    /// <summary>Applies <paramref name="batch"/> and appends <paramref name="entries"/> to <paramref name="ledger"/>, in one transaction.</summary>
    void Write(WriteBatch batch, AuditLedger ledger, IReadOnlyList<AuditEntry> entries);
}
