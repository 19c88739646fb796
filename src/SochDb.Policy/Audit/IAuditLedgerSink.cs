namespace SochDb.Policy.Audit;

/// <summary>
/// A public durable sink (<see cref="SqliteAuditSink"/>, the PostgreSQL package's) and the ledger it holds: the engine
/// reaches the ledger through it (its head, WithWrite, verification), while the sink's own public members forward to it.
/// </summary>
internal interface IAuditLedgerSink
{
    /// <summary>The ledger the sink writes to.</summary>
    AuditLedger Ledger { get; }
}
