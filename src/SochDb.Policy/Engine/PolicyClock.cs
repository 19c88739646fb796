using System;
using System.Threading;

namespace SochDb.Policy.Engine;

/// <summary>
/// The engine's clock. A caller-supplied <see cref="TimeProvider"/> (a fake clock in tests) is used exactly as given.
/// <see cref="TimeProvider.System"/> is read through the operating system's coarse monotonic tick
/// (<see cref="Environment.TickCount64"/>, milliseconds): a precise timestamp costs a clock read of 20–30 ns on a
/// virtual machine, which would be most of the cost of an operation, while the coarse tick costs a few. Consequences,
/// all on the safe side: tokens are granted up to one tick late, never early; <c>RetryAfter</c> includes one tick of
/// the clock; audit timestamps have the tick's resolution (re-anchored to the wall clock every second).
/// </summary>
internal sealed class PolicyClock
{
    private const long AnchorIntervalMs = 1000;

    private readonly TimeProvider? _provider;

    // Coarse system clock only: UTC ticks = _utcOffset + tick × TicksPerMillisecond. One long, so it is read and
    // replaced atomically; racing re-anchors each store a valid offset.
    private long _utcOffset;
    private long _anchorTick = long.MinValue / 2;

    private PolicyClock(TimeProvider? provider)
    {
        _provider = provider;
        TimestampFrequency = provider?.TimestampFrequency ?? 1000;
    }

    /// <summary>Ticks per second of <see cref="GetTimestamp"/>.</summary>
    public long TimestampFrequency { get; }

    public static PolicyClock For(TimeProvider provider) =>
        new(ReferenceEquals(provider, TimeProvider.System) ? null : provider);

    /// <summary>A monotonic timestamp in ticks of <see cref="TimestampFrequency"/>.</summary>
    public long GetTimestamp() => _provider is null ? Environment.TickCount64 : _provider.GetTimestamp();

    /// <summary>The current UTC time, in <see cref="DateTime.Ticks"/> (building the <see cref="DateTimeOffset"/> is left to readers).</summary>
    public long GetUtcTicks()
    {
        if (_provider is not null)
        {
            return _provider.GetUtcNow().UtcTicks;
        }

        long tick = Environment.TickCount64;
        if (tick - Volatile.Read(ref _anchorTick) >= AnchorIntervalMs)
        {
            Volatile.Write(ref _utcOffset, DateTime.UtcNow.Ticks - (tick * TimeSpan.TicksPerMillisecond));
            Volatile.Write(ref _anchorTick, tick);
        }

        return Volatile.Read(ref _utcOffset) + (tick * TimeSpan.TicksPerMillisecond);
    }

    /// <summary>
    /// How many timestamp ticks a reading may lag real time: 0 for a supplied provider, else the coarse tick's step
    /// (measured once per process, on first use: typically 1–4 ms on Linux, 16 ms on Windows).
    /// </summary>
    public long MaxLag => _provider is null ? CoarseTickStep.Value : 0;

    private static class CoarseTickStep
    {
        public static readonly long Value = Measure();

        private static long Measure()
        {
            // Wait for two changes of the tick and take the step between them. A thread descheduled meanwhile sees a
            // larger step; that only makes RetryAfter more conservative.
            long start = Environment.TickCount64;
            long first;
            while ((first = Environment.TickCount64) == start)
            {
                Thread.SpinWait(64);
            }

            long second;
            while ((second = Environment.TickCount64) == first)
            {
                Thread.SpinWait(64);
            }

            return Math.Max(1, second - first);
        }
    }
}
