using System;

namespace SochDb.Policy.TestSupport;

/// <summary>
/// Allocation measurements that a background event cannot fail: tier-up, a first-chance runtime allocation or a timer
/// can land inside one window, but it only ever adds bytes, while an allocation by the code under test shows in every
/// window. So a claim is made on the least a window allocated, over several windows.
/// </summary>
internal static class Allocations
{
    /// <summary>The fewest bytes the current thread allocated in one run of <paramref name="window"/>, over <paramref name="windows"/> runs.</summary>
    public static long Minimum(Action window, int windows = 5)
    {
        ArgumentNullException.ThrowIfNull(window);
        long least = long.MaxValue;
        for (int i = 0; i < windows && least > 0; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            window();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
