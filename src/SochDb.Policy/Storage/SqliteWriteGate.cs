using System;
using System.Collections.Concurrent;
using System.Threading;

namespace SochDb;

/// <summary>
/// One first-come, first-served write lock per SQLite file for everything in this process that writes it (the store,
/// an audit log in the same file).
/// </summary>
/// <remarks>
/// SQLite admits one writer per file. A writer that finds the file locked waits in SQLite's busy handler, which sleeps
/// and tries again (1 ms, then longer, up to 100 ms a try): while the store commits back to back (each commit holding
/// the file for its fsync), the audit log's writer seldom finds it free and falls seconds behind. An ordinary lock does
/// no better, as the writer that just released it takes it again first. Tickets hand the file to writers in the order
/// they asked, so the log's writer waits for at most the writes queued before it.
/// </remarks>
internal sealed class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SqliteWriteGate> Gates = new(StringComparer.Ordinal);

    private readonly object _sync = new();
    private long _nextTicket;
    private long _serving;

    /// <summary>The gate of the file at <paramref name="fullPath"/> (one per path for the life of the process).</summary>
    public static SqliteWriteGate For(string fullPath) => Gates.GetOrAdd(fullPath, static _ => new SqliteWriteGate());

    /// <summary>Waits for this caller's turn; dispose the result to pass the file on. Not reentrant.</summary>
    public Turn Enter()
    {
        lock (_sync)
        {
            long ticket = _nextTicket++;
            while (ticket != _serving)
            {
                Monitor.Wait(_sync);
            }
        }

        return new Turn(this);
    }

    private void Exit()
    {
        lock (_sync)
        {
            _serving++;
            Monitor.PulseAll(_sync);
        }
    }

    /// <summary>A turn at the file; disposing it lets the next writer in.</summary>
    public readonly struct Turn : IDisposable
    {
        private readonly SqliteWriteGate _gate;

        internal Turn(SqliteWriteGate gate) => _gate = gate;

        public void Dispose() => _gate.Exit();
    }
}
