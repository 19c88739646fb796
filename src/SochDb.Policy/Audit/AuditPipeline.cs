using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Diagnostics;

namespace SochDb.Policy.Audit;

/// <summary>
/// The bounded queue in front of the sinks and the one background thread that drains it in batches, in order.
/// </summary>
/// <remarks>
/// <para>
/// Producers (operations) enqueue under one small monitor; the writer takes up to a batch at a time and hands it to
/// every sink. A full queue blocks the producer (<see cref="AuditOverflow.Block"/>) or drops the entry and counts it
/// (<see cref="AuditOverflow.Drop"/>): the writer then inserts one gap record at the exact position of the first
/// drop, naming how many entries were dropped and between which times.
/// </para>
/// <para>
/// A durable sink that throws gets the same batch again, with a backoff of up to a second, until it takes it; while it
/// fails, <see cref="RefusesOperations"/> is true under <see cref="AuditSinkFailureMode.FailClosed"/>. Any other sink
/// that throws is skipped for that batch. Every failure is counted, metered and reported to
/// <see cref="AuditOptions.OnSinkFailure"/>.
/// </para>
/// <para>
/// Closing (the sinks changed, audit was disabled, the engine is disposed) hands later entries to the successor
/// pipeline, if any, and lets the writer drain what was accepted, so each outcome reaches exactly one pipeline.
/// </para>
/// </remarks>
internal sealed class AuditPipeline
{
    private const int MaxBackoffMs = 1000;
    private const int RetriesWhenClosing = 5;

    private readonly object _gate = new();
    private readonly AuditEntry?[] _queue;
    private readonly AuditSink[] _sinks;
    private readonly bool _hasDurableSink;
    private readonly AuditOverflow _overflow;
    private readonly bool _failClosed;
    private readonly int _maxBatch;
    private readonly long _batchDelayTicks;
    private readonly int _batchTarget; // a full batch, or a full queue if that is smaller
    private readonly Action<AuditSinkFailure>? _onFailure;
    private readonly PolicyMetrics _metrics;
    private readonly Thread _writer;
    private readonly List<(long Target, long FailuresAtStart, TaskCompletionSource Done)> _flushWaiters = new();

    private int _head;
    private int _count;
    private long _accepted;
    private long _taken;
    private long _written;
    private long _dropped;
    private long _failures;
    private string? _lastFailure;
    private volatile bool _failing;
    private bool _closing;
    private bool _started;
    private bool _inFlight;

    // What the writer waits for: any entry (_idle), or a full batch while it lets one form (_lingering). Producers
    // wake it only then, so a busy writer costs an operation no signal.
    private bool _idle;
    private bool _lingering;
    private AuditPipeline? _successor;

    // The drop episode not yet written as a gap record: it starts after entry number _gapPosition.
    private long _gapCount;
    private long _gapPosition;
    private long _gapFirstTicks;
    private long _gapLastTicks;

    public AuditPipeline(AuditOptions options, PolicyMetrics metrics)
    {
        _queue = new AuditEntry?[options.QueueCapacity];
        _sinks = [.. options.Sinks];
        foreach (AuditSink sink in _sinks)
        {
            _hasDurableSink |= sink.IsDurable;
        }

        _overflow = options.Overflow;
        _failClosed = options.SinkFailure == AuditSinkFailureMode.FailClosed;
        _maxBatch = options.MaxBatchSize;
        _batchTarget = Math.Min(options.MaxBatchSize, options.QueueCapacity);
        _batchDelayTicks = (long)(options.MaxBatchDelay.TotalSeconds * Stopwatch.Frequency);
        _onFailure = options.OnSinkFailure;
        _metrics = metrics;
        _writer = new Thread(Run) { IsBackground = true, Name = "SochDb.Policy audit writer" };
    }

    /// <summary>True while a durable sink fails and the options say to refuse operations meanwhile.</summary>
    public bool RefusesOperations => _failing && _failClosed && _hasDurableSink;

    public string? LastFailure => Volatile.Read(ref _lastFailure);

    public IReadOnlyList<AuditSink> Sinks => _sinks;

    public void Start()
    {
        lock (_gate)
        {
            if (!_started)
            {
                _started = true;
                _writer.Start();
            }
        }
    }

    /// <summary>Queues <paramref name="entry"/> here, or in the successor if this pipeline is closing.</summary>
    public static void Enqueue(AuditPipeline? pipeline, AuditEntry entry)
    {
        while (pipeline is not null && !pipeline.TryEnqueue(entry))
        {
            pipeline = pipeline.Successor;
        }
    }

    public AuditStatus Status()
    {
        lock (_gate)
        {
            return new AuditStatus
            {
                Enqueued = _accepted,
                Written = _written,
                Dropped = _dropped,
                SinkFailures = _failures,
                IsFailing = _failing,
                LastFailure = _lastFailure,
            };
        }
    }

    /// <summary>Waits until every entry accepted so far has been taken by every sink.</summary>
    /// <exception cref="IOException">A durable sink failed while waiting (the entries stay queued and are retried).</exception>
    public void Flush() => FlushAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (_written >= _accepted && _gapCount == 0 && !_inFlight)
            {
                return ValueTask.CompletedTask;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((_accepted, _failures, done));
            Monitor.PulseAll(_gate); // a writer letting a batch form writes it now
        }

        return new ValueTask(done.Task.WaitAsync(cancellationToken));
    }

    /// <summary>
    /// Stops accepting entries (later ones go to <paramref name="successor"/>), lets the writer drain what was
    /// accepted, and waits for it.
    /// </summary>
    /// <exception cref="IOException">A durable sink kept failing; entries that could not be written are named.</exception>
    public void Close(AuditPipeline? successor)
    {
        bool started;
        lock (_gate)
        {
            _successor = successor;
            _closing = true;
            started = _started;
            Monitor.PulseAll(_gate);
        }

        if (started)
        {
            _writer.Join();
        }

        lock (_gate)
        {
            long lost = _accepted - _written;
            if (lost > 0)
            {
                throw new IOException($"The audit log could not record {lost} entries before closing: {_lastFailure}");
            }
        }
    }

    private AuditPipeline? Successor
    {
        get
        {
            lock (_gate)
            {
                return _successor;
            }
        }
    }

    private bool TryEnqueue(AuditEntry entry)
    {
        lock (_gate)
        {
            while (true)
            {
                if (_closing)
                {
                    return false;
                }

                if (_count < _queue.Length)
                {
                    break;
                }

                if (_overflow == AuditOverflow.Drop)
                {
                    long ticks = entry.Timestamp.UtcTicks;
                    if (_gapCount == 0)
                    {
                        _gapPosition = _accepted;
                        _gapFirstTicks = ticks;
                    }

                    _gapCount++;
                    _gapLastTicks = ticks;
                    _dropped++;
                    _metrics.RecordAuditDropped();
                    return true;
                }

                Monitor.Wait(_gate);
            }

            _queue[(_head + _count) % _queue.Length] = entry;
            _count++;
            _accepted++;
            if ((_idle && _count == 1) || (_lingering && _count == _batchTarget))
            {
                Monitor.PulseAll(_gate);
            }

            return true;
        }
    }

    private void Run()
    {
        var batch = new List<AuditEntry>(_maxBatch);
        while (true)
        {
            int entries;
            lock (_gate)
            {
                while (_count == 0 && _gapCount == 0 && !_closing)
                {
                    _idle = true;
                    Monitor.Wait(_gate);
                    _idle = false;
                }

                LetBatchForm();

                if (_count == 0 && _gapCount == 0)
                {
                    CompleteWaiters();
                    return;
                }

                batch.Clear();
                bool gapHere = _gapCount > 0 && _taken == _gapPosition;
                if (gapHere)
                {
                    batch.Add(GapRecord());
                    _gapCount = 0;
                }

                int limit = _maxBatch;
                if (_gapCount > 0)
                {
                    limit = (int)Math.Min(limit, _gapPosition - _taken);
                }

                entries = Math.Min(limit, _count);
                for (int i = 0; i < entries; i++)
                {
                    batch.Add(_queue[_head]!);
                    _queue[_head] = null;
                    _head = (_head + 1) % _queue.Length;
                }

                _count -= entries;
                _taken += entries;
                _inFlight = true;
                Monitor.PulseAll(_gate);
            }

            bool delivered = Deliver(batch);
            lock (_gate)
            {
                _inFlight = false;
                if (delivered)
                {
                    _written += entries;
                }

                CompleteWaiters();
                if (_count == 0)
                {
                    FlushSinks();
                }
            }
        }
    }

    // Under _gate: waits up to MaxBatchDelay for a full batch, unless a flush or the close is waiting for the writer.
    private void LetBatchForm()
    {
        if (_batchDelayTicks <= 0 || _count >= _batchTarget || _closing || _flushWaiters.Count > 0)
        {
            return;
        }

        long deadline = Stopwatch.GetTimestamp() + _batchDelayTicks;
        _lingering = true;
        try
        {
            while (_count < _batchTarget && !_closing && _flushWaiters.Count == 0)
            {
                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0)
                {
                    return;
                }

                Monitor.Wait(_gate, WaitMilliseconds(remaining, Stopwatch.Frequency));
            }
        }
        finally
        {
            _lingering = false;
        }
    }

    /// <summary>
    /// A wait for <paramref name="remainingTicks"/> in whole milliseconds, rounded up and at least one: a wait of zero
    /// returns at once, and a writer waiting out the last fraction of a millisecond would spin on the gate that every
    /// operation takes to enqueue.
    /// </summary>
    internal static int WaitMilliseconds(long remainingTicks, long ticksPerSecond) =>
        (int)Math.Clamp(((remainingTicks * 1000) + ticksPerSecond - 1) / ticksPerSecond, 1, int.MaxValue);

    /// <summary>Hands the batch to every sink; retries durable sinks until they take it (or the pipeline gives up while closing).</summary>
    private bool Deliver(List<AuditEntry> batch)
    {
        var done = new bool[_sinks.Length];
        int backoffMs = 10;
        int attemptsWhileClosing = 0;
        while (true)
        {
            bool durableFailed = false;
            for (int i = 0; i < _sinks.Length; i++)
            {
                if (done[i])
                {
                    continue;
                }

                AuditSink sink = _sinks[i];
                try
                {
                    sink.Write(batch);
                    done[i] = true;
                }
                catch (Exception e)
                {
                    bool retry = sink.IsDurable;
                    done[i] = !retry;
                    durableFailed |= retry;
                    ReportFailure(sink, e, batch.Count, retry);
                }
            }

            if (!durableFailed)
            {
                _failing = false;
                return true;
            }

            _failing = true;
            lock (_gate)
            {
                FailWaiters();
                if (_closing && ++attemptsWhileClosing > RetriesWhenClosing)
                {
                    return false;
                }

                Monitor.Wait(_gate, backoffMs);
            }

            backoffMs = Math.Min(backoffMs * 2, MaxBackoffMs);
        }
    }

    private void ReportFailure(AuditSink sink, Exception exception, int batchSize, bool willRetry)
    {
        long failures;
        lock (_gate)
        {
            failures = ++_failures;
            _lastFailure = $"audit sink '{sink.Name}' failed: {exception.GetType().Name}: {exception.Message}";
        }

        _metrics.RecordAuditSinkFailure(sink.Name);
        try
        {
            _onFailure?.Invoke(new AuditSinkFailure(sink, exception, failures, batchSize, willRetry));
        }
        catch (Exception)
        {
            // A failing failure handler must not stop the writer; the failure is already counted.
        }
    }

    private void FlushSinks()
    {
        foreach (AuditSink sink in _sinks)
        {
            try
            {
                sink.Flush();
            }
            catch (Exception e)
            {
                Monitor.Exit(_gate);
                try
                {
                    ReportFailure(sink, e, 0, willRetry: false);
                }
                finally
                {
                    Monitor.Enter(_gate);
                }
            }
        }
    }

    private AuditEntry GapRecord()
    {
        string first = new DateTime(_gapFirstTicks, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
        string last = new DateTime(_gapLastTicks, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
        string reason = string.Create(CultureInfo.InvariantCulture, $"{_gapCount} entries dropped between {first} and {last}: the audit queue was full");
        return new AuditEntry(-1, new DateTimeOffset(_gapLastTicks, TimeSpan.Zero), PolicyOperation.All, Array.Empty<byte>(),
            AuditResult.EntriesDropped, null, null, "audit queue", reason);
    }

    // Under _gate.
    private void CompleteWaiters()
    {
        for (int i = _flushWaiters.Count - 1; i >= 0; i--)
        {
            (long target, _, TaskCompletionSource done) = _flushWaiters[i];
            if (_written >= target && _gapCount == 0)
            {
                done.TrySetResult();
                _flushWaiters.RemoveAt(i);
            }
        }
    }

    // Under _gate: a flush that began before this failure reports it rather than waiting for a recovery.
    private void FailWaiters()
    {
        for (int i = _flushWaiters.Count - 1; i >= 0; i--)
        {
            (_, long failuresAtStart, TaskCompletionSource done) = _flushWaiters[i];
            if (_failures > failuresAtStart)
            {
                done.TrySetException(new IOException(
                    $"The audit log could not record every entry: {_lastFailure} (the entries stay queued and are retried)."));
                _flushWaiters.RemoveAt(i);
            }
        }
    }
}
