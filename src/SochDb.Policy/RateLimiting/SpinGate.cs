using System.Threading;

namespace SochDb.Policy.RateLimiting;

/// <summary>
/// The limiter's mutual exclusion: one compare-and-swap to enter, a plain release store to leave.
/// </summary>
/// <remarks>
/// The limiter's critical sections are a few bucket look-ups and integer operations that never block, never call user
/// code and never wait for I/O, so a waiter is better off spinning briefly than parking. <see cref="Lock"/> also keeps
/// its owner's thread id (a thread-local read per acquire) for recursion and waiter bookkeeping that these sections do
/// not need; this costs one atomic operation. Waiters
/// spin, then yield and sleep (<see cref="SpinWait"/>), so a holder that was descheduled is not starved. Not re-entrant.
/// </remarks>
internal sealed class SpinGate
{
    private int _held;

    /// <summary>Enters; dispose the result (a <c>using</c>) to leave.</summary>
    public Scope Hold()
    {
        if (Interlocked.CompareExchange(ref _held, 1, 0) != 0)
        {
            WaitAndEnter();
        }

        return new Scope(this);
    }

    private void WaitAndEnter()
    {
        SpinWait spinner = default;
        do
        {
            spinner.SpinOnce();
        }
        while (Volatile.Read(ref _held) != 0 || Interlocked.CompareExchange(ref _held, 1, 0) != 0);
    }

    private void Leave() => Volatile.Write(ref _held, 0);

    /// <summary>The gate held; leaving it is disposing this.</summary>
    public readonly ref struct Scope
    {
        private readonly SpinGate _gate;

        internal Scope(SpinGate gate) => _gate = gate;

        public void Dispose() => _gate.Leave();
    }
}
