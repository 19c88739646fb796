using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;

namespace SochDb.Policy;

/// <summary>
/// Disposal, in three steps: admission stops at once (every entry point then throws <see cref="ObjectDisposedException"/>
/// and writes nothing); operations already admitted finish, each recorded as usual (disposal waits a bounded time for
/// them); then the decision log is flushed and released. When disposal cannot wait (it was called from a handler, whose
/// own operation is in flight, or the wait ran out), the last operation to finish releases the log, so nothing admitted
/// is ever left unaudited.
/// </summary>
public sealed partial class PolicyEngine : IDisposable, IAsyncDisposable
{
    /// <summary>How long disposal waits for operations in flight before leaving the release of the log to the last of them.</summary>
    private static readonly TimeSpan DisposalWait = TimeSpan.FromSeconds(10);

    private int _released;

    /// <summary>
    /// Stops admitting operations, waits (up to 10 s) for those in flight, then writes every queued decision-log entry
    /// and stops the log's writer. The store and the sinks are not disposed (the caller owns them).
    /// </summary>
    /// <exception cref="IOException">A durable sink kept failing, so queued entries could not be written.</exception>
    public void Dispose()
    {
        if (BeginDisposal())
        {
            FinishDisposal(waitForOperations: SochDb.Policy.Engine.OperationScratch.CurrentNesting == 0);
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        if (!BeginDisposal())
        {
            return default;
        }

        // Admission stopped before this returns; the wait and the drain run on the pool (the log's writer drains on its own thread).
        bool wait = SochDb.Policy.Engine.OperationScratch.CurrentNesting == 0;
        return new ValueTask(Task.Run(() => FinishDisposal(wait)));
    }

    /// <summary>Step one: no operation is admitted from now on. False when disposal had already begun.</summary>
    private bool BeginDisposal() => Interlocked.Exchange(ref _closing, 1) == 0;

    private void FinishDisposal(bool waitForOperations)
    {
        if (waitForOperations)
        {
            long start = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Volatile.Read(ref _inFlight) != 0 && Stopwatch.GetElapsedTime(start) < DisposalWait)
            {
                spin.SpinOnce();
            }
        }

        if (Volatile.Read(ref _inFlight) == 0)
        {
            ReleaseAfterDisposal(rethrow: true);
        }
    }

    /// <summary>Step three, once: the decision log is flushed and its writer stopped.</summary>
    private void ReleaseAfterDisposal(bool rethrow)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        AuditRecorder? recorder;
        lock (_registrationLock)
        {
            recorder = Volatile.Read(ref _recorder);
            Volatile.Write(ref _recorder, null);
        }

        try
        {
            recorder?.Pipeline?.Close(successor: null);
        }
        catch (IOException) when (!rethrow)
        {
            // The last operation releases the log: its own outcome stands; the sink failure was reported to
            // AuditOptions.OnSinkFailure and counted by the pipeline.
        }
    }
}
