using System;

namespace SochDb.Policy;

/// <summary>An entry as a durable log keeps it: its id in the log, the entry, and its link in the hash chain (a ledger's row).</summary>
internal sealed class AuditRecord
{
    /// <summary>Creates a record (ledgers do this when they read rows).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="entry"/> or <paramref name="hash"/> is null.</exception>
    public AuditRecord(long id, AuditEntry entry, byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(hash);
        Id = id;
        Entry = entry;
        Hash = hash;
    }

    /// <summary>The entry's position in the log: 1, 2, 3, ... with no gaps (a gap is a deleted entry).</summary>
    public long Id { get; }

    /// <summary>The entry (its <see cref="AuditEntry.Sequence"/> is <see cref="Id"/>).</summary>
    public AuditEntry Entry { get; }

    /// <summary>SHA-256 of the previous record's hash followed by this entry's canonical form (32 bytes).</summary>
    public byte[] Hash { get; }

    /// <summary>The entry as queries return it: with its link in the chain.</summary>
    public AuditEntry ToEntry() => Entry.InLog(Id, Hash);

    /// <inheritdoc />
    public override string ToString() => $"#{Id} {Entry}";
}
