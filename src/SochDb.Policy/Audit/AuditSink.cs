using System;
using System.Collections.Generic;

namespace SochDb.Policy;

/// <summary>
/// Where audit entries go besides the in-memory ring: a durable log (<see cref="AuditLedger"/>, such as
/// <see cref="SqliteAuditSink"/>) or an export (an <c>ILogger</c>, OpenTelemetry). The engine's one background writer
/// calls <see cref="Write"/> with batches in log order, never concurrently; readers of a ledger may run meanwhile.
/// </summary>
/// <remarks>
/// A sink receives entries as they will be kept: keys that match a mask pattern are already replaced by their keyed
/// hash, and values are never part of an entry. The caller owns the sink: disposing the engine flushes it, and
/// disposing the sink is the caller's job, after the engine.
/// </remarks>
public abstract class AuditSink : IDisposable
{
    /// <summary>Creates a sink called <paramref name="name"/> (used in metrics and failure reports).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    protected AuditSink(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The sink's name, in metrics (<c>sink</c> tag) and failure reports.</summary>
    public string Name { get; }

    /// <summary>
    /// Whether entries written here must survive the process. The engine's flush waits for durable sinks, and the
    /// <see cref="FailureMode.FailClosed"/> option refuses operations while a durable sink fails; a failed
    /// batch is retried on a durable sink and skipped (counted, reported) on any other.
    /// </summary>
    public virtual bool IsDurable => false;

    /// <summary>
    /// Stores <paramref name="batch"/> (entries in log order), all or nothing: a durable sink commits it as one
    /// transaction before returning. Throwing reports a failure; the batch is then retried (durable) or skipped.
    /// Exception messages must not contain key text (a masked key's plain text never reaches a sink anyway).
    /// </summary>
    public abstract void Write(IReadOnlyList<AuditEntry> batch);

    /// <summary>Makes everything written so far durable or delivered (buffered exporters flush here); default: nothing to do.</summary>
    public virtual void Flush()
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the sink's resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
