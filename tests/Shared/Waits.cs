using System;
using System.Threading;

namespace SochDb.Policy.TestSupport;

/// <summary>Every wait in the tests is bounded: a hang fails the test with what was awaited, instead of stalling the run.</summary>
internal static class Waits
{
    /// <summary>Generous for any wait in these tests, even on a loaded machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Waits for each thread to finish; throws <see cref="TimeoutException"/> naming the first one that did not.</summary>
    public static void Join(params Thread[] threads)
    {
        foreach (Thread thread in threads)
        {
            if (!thread.Join(Timeout))
            {
                throw new TimeoutException($"Thread '{thread.Name ?? thread.ManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture)}' did not finish within {Timeout}.");
            }
        }
    }

    /// <summary><see cref="Barrier.SignalAndWait()"/>, bounded.</summary>
    public static void Meet(Barrier barrier)
    {
        if (!barrier.SignalAndWait(Timeout))
        {
            throw new TimeoutException($"Not every participant reached the barrier within {Timeout}.");
        }
    }
}
