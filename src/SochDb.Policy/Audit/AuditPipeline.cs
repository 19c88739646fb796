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
/// every sink. Waiting for room happens at admission (<see cref="Admit"/>), before the operation does anything: under
/// <see cref="FailureMode.FailClosed"/> an operation that finds the queue full waits at most
/// <see cref="AuditOptions.MaxBlock"/> for a healthy sink to make room and is refused after that, and at once while a
/// durable sink fails under <see cref="FailureMode.FailClosed"/>. The entry of an admitted operation is never
/// refused and never waits: the queue grows past its capacity by the operations admitted meanwhile, so what was done is
/// always recorded. Under <see cref="FailureMode.FailOpen"/> an entry that finds the queue full is dropped and counted,
/// and so is the entry of a refusal while the queue is full: the writer then inserts a gap record at the exact
/// position of each run of drops, naming how many entries were dropped there (only those) and between which times.
/// </para>
/// <para>
/// A durable sink that throws gets the same batch again, with a backoff of up to a second, until it takes it; while it
/// fails, <see cref="RefusesOperations"/> is true under <see cref="FailureMode.FailClosed"/>. Any other sink
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
    private readonly int _capacity;
    private readonly long _maxBlockTicks;
    private readonly TimeSpan _maxBlock;
    private readonly List<AuditGap> _gaps = new();
    private readonly AuditSink[] _sinks;
    private readonly bool _hasDurableSink;
    private readonly FailureMode _overflow;
    private readonly bool _failClosed;
    private readonly int _maxBatch;
    private readonly long _batchDelayTicks;
    private readonly int _batchTarget; // a full batch, or a full queue if that is smaller
    private readonly Action<AuditSink, Exception>? _onFailure;
    private readonly IAuditAnchor? _anchor;
    private readonly AuditLedger? _anchorLedger;
    private readonly long _anchorEvery;
    private readonly long _anchorIntervalTicks;
    private readonly PolicyMetrics _metrics;
    private readonly Thread _writer;
    private readonly List<(long Target, long FailuresAtStart, TaskCompletionSource Done)> _flushWaiters = new();

    // A ring that holds _capacity entries and grows only for entries of operations admitted while it was full.
    private Queued[] _queue;
    private int _head;
    private int _count;
    private long _accepted;
    private long _taken;
    private long _written;
    private long _dropped;
    private long _failures;
    private string? _lastFailure;
    private Exception? _lastException; // the failure itself: the inner exception of what Flush and Close throw
    private volatile bool _failing;
    private bool _closing;
    private bool _started;
    private bool _inFlight;

    // What the writer waits for: any entry (_idle), or a full batch while it lets one form (_lingering). Producers
    // wake it only then, so a busy writer costs an operation no signal.
    private bool _idle;
    private bool _lingering;
    private AuditPipeline? _successor;

    // Entries (and gap records) written since the head was last published to the anchor, and since when. Writer thread only.
    private long _unanchored;
    private long _unanchoredSince;

    public AuditPipeline(AuditOptions options, PolicyMetrics metrics)
    {
        Options = options;
        _capacity = options.QueueCapacity;
        _queue = new Queued[options.QueueCapacity];
        _maxBlock = options.MaxBlock;
        _maxBlockTicks = (long)(options.MaxBlock.TotalSeconds * Stopwatch.Frequency);
        _sinks = [.. options.Sinks];
        foreach (AuditSink sink in _sinks)
        {
            _hasDurableSink |= sink.IsDurable;
        }

        _overflow = options.Overflow;
        _failClosed = options.SinkFailure == FailureMode.FailClosed;
        _maxBatch = options.MaxBatchSize;
        _batchTarget = Math.Min(options.MaxBatchSize, options.QueueCapacity);
        _batchDelayTicks = (long)(options.MaxBatchDelay.TotalSeconds * Stopwatch.Frequency);
        _onFailure = options.OnSinkFailure;
        _anchor = options.Anchor;
        _anchorLedger = options.FirstLedger();
        _anchorEvery = options.AnchorEvery;
        _anchorIntervalTicks = (long)(options.AnchorInterval.TotalSeconds * Stopwatch.Frequency);
        _metrics = metrics;
        _writer = new Thread(Run) { IsBackground = true, Name = "SochDb.Policy audit writer" };
    }

    /// <summary>The options the writer was started with.</summary>
    public AuditOptions Options { get; }

    /// <summary>True while a durable sink fails and the options say to refuse operations meanwhile.</summary>
    public bool RefusesOperations => _failing && _failClosed && _hasDurableSink;

    public string? LastFailure => Volatile.Read(ref _lastFailure);

    public IReadOnlyList<AuditSink> Sinks => _sinks;

    /// <summary>Whether an anchor publishes the log's head (it counts the entries the writer delivers).</summary>
    public bool HasAnchor => _anchor is not null;

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

    /// <summary>
    /// Queues <paramref name="entry"/> here, or in the successor if this pipeline is closing. The entry of an admitted
    /// operation (<paramref name="admitted"/>) is always queued under <see cref="FailureMode.FailClosed"/>; any other
    /// (a refusal at admission) is dropped and counted when the queue is full, as every entry is under
    /// <see cref="FailureMode.FailOpen"/>. Never waits. <paramref name="writtenTo"/>: the durable log that already holds
    /// the entry (written in the data's transaction), which the writer does not hand it to again.
    /// </summary>
    public static void Enqueue(AuditPipeline? pipeline, AuditEntry entry, bool admitted = true, AuditLedger? writtenTo = null)
    {
        while (pipeline is not null && !pipeline.TryEnqueue(new Queued(entry, writtenTo), admitted))
        {
            pipeline = pipeline.Successor;
        }
    }

    /// <summary>
    /// Whether a new operation may start without waiting: no failing durable sink refuses it, and its entry finds room
    /// (or would be dropped anyway). One volatile read and a comparison; <see cref="Admit"/> decides the rest.
    /// </summary>
    public bool AdmitsAtOnce => !_failing && (_overflow == FailureMode.FailOpen || Volatile.Read(ref _count) < _capacity);

    /// <summary>
    /// Admits a new operation, or says why not. Refused at once while a durable sink fails and the options say to fail
    /// closed; under <see cref="FailureMode.FailClosed"/>, waits for room while the queue is full, at most
    /// <see cref="AuditOptions.MaxBlock"/>, then refuses. Returns null when admitted.
    /// </summary>
    public string? Admit()
    {
        if (RefusesOperations)
        {
            return UnavailableReason();
        }

        if (_overflow == FailureMode.FailOpen)
        {
            return null;
        }

        lock (_gate)
        {
            long deadline = Stopwatch.GetTimestamp() + _maxBlockTicks;
            while (_count >= _capacity && !_closing)
            {
                if (RefusesOperations)
                {
                    return UnavailableReason();
                }

                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0)
                {
                    string waited = _maxBlock.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture);
                    string failure = _failing ? " (" + (_lastFailure ?? "a sink failed") + ")" : string.Empty;
                    return $"the audit queue stayed full for {waited} ms (AuditOptions.MaxBlock): the sinks do not keep up{failure}";
                }

                Monitor.Wait(_gate, WaitMilliseconds(remaining, Stopwatch.Frequency));
            }

            return null;
        }
    }

    private string UnavailableReason() => "the durable audit log cannot record it (" + (LastFailure ?? "a sink failed") + ")";

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
            if (_written >= _accepted && _gaps.Count == 0 && !_inFlight)
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
                throw new IOException($"The audit log could not record {lost} entries before closing: {_lastFailure}", _lastException);
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

    private bool TryEnqueue(Queued item, bool admitted)
    {
        lock (_gate)
        {
            if (_closing)
            {
                return false;
            }

            if (_count >= _capacity && (_overflow == FailureMode.FailOpen || !admitted))
            {
                Drop(item.Entry, admitted ? AuditGapCause.QueueFull : AuditGapCause.Unavailable);
                return true;
            }

            if (_count == _queue.Length)
            {
                Grow();
            }

            _queue[(_head + _count) % _queue.Length] = item;
            _count++;
            _accepted++;
            if ((_idle && _count == 1) || (_lingering && _count == _batchTarget))
            {
                Monitor.PulseAll(_gate);
            }

            return true;
        }
    }

    // Under _gate: counts a dropped entry into the run of drops at the current position (a new run if entries were
    // accepted since the last drop), so each gap record counts exactly the drops between its neighbours.
    private void Drop(AuditEntry entry, AuditGapCause cause)
    {
        long ticks = entry.Timestamp.UtcTicks;
        AuditGap? last = _gaps.Count > 0 ? _gaps[^1] : null;
        if (last is null || last.Position != _accepted || last.Cause != cause)
        {
            last = new AuditGap(_accepted, cause, ticks);
            _gaps.Add(last);
        }

        last.Count++;
        last.LastTicks = ticks;
        _dropped++;
        _metrics.RecordAuditDropped();
    }

    // Under _gate: doubles the ring, keeping the entries in order.
    private void Grow()
    {
        var grown = new Queued[_queue.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            grown[i] = _queue[(_head + i) % _queue.Length];
        }

        _queue = grown;
        _head = 0;
    }

    private void Run()
    {
        var batch = new List<AuditEntry>(_maxBatch);
        var writtenTo = new List<AuditLedger?>(_maxBatch);
        while (true)
        {
            int entries;
            bool anchorDue = false;
            lock (_gate)
            {
                while (_count == 0 && _gaps.Count == 0 && !_closing)
                {
                    // Idle with an unpublished head: wake when it is due, so a quiet log is anchored too.
                    int wait = AnchorWaitMilliseconds();
                    if (wait == 0)
                    {
                        anchorDue = true;
                        break;
                    }

                    _idle = true;
                    Monitor.Wait(_gate, wait);
                    _idle = false;
                }

                if (!anchorDue)
                {
                    LetBatchForm();
                }

                if (!anchorDue && _count == 0 && _gaps.Count == 0)
                {
                    CompleteWaiters();
                }
            }

            if (anchorDue)
            {
                PublishHead();
                continue;
            }

            lock (_gate)
            {
                if (_count == 0 && _gaps.Count == 0)
                {
                    // Closing, and everything is written: the head is published once more before the writer stops.
                    break;
                }

                batch.Clear();
                writtenTo.Clear();
                while (_gaps.Count > 0 && _gaps[0].Position == _taken)
                {
                    batch.Add(_gaps[0].Record());
                    writtenTo.Add(null);
                    _gaps.RemoveAt(0);
                }

                int limit = _maxBatch;
                if (_gaps.Count > 0)
                {
                    limit = (int)Math.Min(limit, _gaps[0].Position - _taken);
                }

                entries = Math.Min(limit, _count);
                for (int i = 0; i < entries; i++)
                {
                    Queued item = _queue[_head];
                    batch.Add(item.Entry);
                    writtenTo.Add(item.WrittenTo);
                    _queue[_head] = default;
                    _head = (_head + 1) % _queue.Length;
                }

                _count -= entries;
                _taken += entries;
                _inFlight = true;
                if (_unanchored == 0)
                {
                    _unanchoredSince = Stopwatch.GetTimestamp();
                }

                Monitor.PulseAll(_gate);
            }

            bool delivered = Deliver(batch, writtenTo);
            lock (_gate)
            {
                _inFlight = false;
                if (delivered)
                {
                    _written += entries;
                    _unanchored += batch.Count;
                }

                CompleteWaiters();
                if (_count == 0)
                {
                    FlushSinks();
                }
            }

            if (AnchorWaitMilliseconds() == 0)
            {
                PublishHead();
            }
        }

        if (_unanchored > 0)
        {
            PublishHead();
        }
    }

    /// <summary>
    /// How long until the head is due at the anchor: <see cref="Timeout.Infinite"/> with no anchor or nothing
    /// unpublished, 0 when due (enough entries, or the interval has passed since the oldest unpublished one was written).
    /// </summary>
    private int AnchorWaitMilliseconds()
    {
        if (_anchor is null || _unanchored == 0)
        {
            return Timeout.Infinite;
        }

        if (_unanchored >= _anchorEvery)
        {
            return 0;
        }

        long remaining = _unanchoredSince + _anchorIntervalTicks - Stopwatch.GetTimestamp();
        return remaining <= 0 ? 0 : WaitMilliseconds(remaining, Stopwatch.Frequency);
    }

    /// <summary>Publishes the durable log's head to the anchor (on the writer thread); a failure is reported and publishing is tried again later.</summary>
    private void PublishHead()
    {
        if (_anchor is null || _anchorLedger?.CurrentHead() is not { } head)
        {
            _unanchored = 0;
            return;
        }

        try
        {
            _anchor.Publish(head);
            _unanchored = 0;
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _failures++;
                _lastFailure = $"audit anchor {_anchor.GetType().Name} failed: {e.GetType().Name}";
                _lastException = e;
            }

            // Tried again after another interval, not in a tight loop.
            _unanchoredSince = Stopwatch.GetTimestamp();
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

    /// <summary>
    /// Hands the batch to every sink, except entries to the durable log that already holds them (<paramref name="writtenTo"/>,
    /// one per entry); retries durable sinks until they take it (or the pipeline gives up while closing).
    /// </summary>
    private bool Deliver(List<AuditEntry> batch, List<AuditLedger?> writtenTo)
    {
        var done = new bool[_sinks.Length];
        IReadOnlyList<AuditEntry>[]? parts = null;
        for (int i = 0; i < writtenTo.Count; i++)
        {
            if (writtenTo[i] is not null)
            {
                // Built once, so a retry hands a sink the very same entries (a ledger tells a retried batch by identity).
                parts = new IReadOnlyList<AuditEntry>[_sinks.Length];
                for (int s = 0; s < _sinks.Length; s++)
                {
                    parts[s] = NotWrittenTo(_sinks[s], batch, writtenTo);
                }

                break;
            }
        }

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
                    IReadOnlyList<AuditEntry> part = parts?[i] ?? batch;
                    if (part.Count > 0)
                    {
                        sink.Write(part);
                    }

                    done[i] = true;
                }
                catch (Exception e)
                {
                    bool retry = sink.IsDurable;
                    done[i] = !retry;
                    durableFailed |= retry;
                    ReportFailure(sink, e);
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
                Monitor.PulseAll(_gate); // operations waiting for room are refused now, not after MaxBlock
                if (_closing && ++attemptsWhileClosing > RetriesWhenClosing)
                {
                    return false;
                }

                Monitor.Wait(_gate, backoffMs);
            }

            backoffMs = Math.Min(backoffMs * 2, MaxBackoffMs);
        }
    }

    // The entries of batch that sink does not hold yet: all of them, unless some were written to it with their data.
    private static IReadOnlyList<AuditEntry> NotWrittenTo(AuditSink sink, List<AuditEntry> batch, List<AuditLedger?> writtenTo)
    {
        if (sink is not AuditLedger ledger || !writtenTo.Contains(ledger))
        {
            return batch;
        }

        var part = new List<AuditEntry>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            if (!ReferenceEquals(writtenTo[i], sink))
            {
                part.Add(batch[i]);
            }
        }

        return part;
    }

    private void ReportFailure(AuditSink sink, Exception exception)
    {
        lock (_gate)
        {
            _failures++;
            _lastFailure = $"audit sink '{sink.Name}' failed: {exception.GetType().Name}";
            _lastException = exception;
        }

        _metrics.RecordAuditSinkFailure(sink.Name);
        try
        {
            _onFailure?.Invoke(sink, exception);
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
                    ReportFailure(sink, e);
                }
                finally
                {
                    Monitor.Enter(_gate);
                }
            }
        }
    }

    // Under _gate.
    private void CompleteWaiters()
    {
        for (int i = _flushWaiters.Count - 1; i >= 0; i--)
        {
            (long target, _, TaskCompletionSource done) = _flushWaiters[i];
            if (_written >= target && (_gaps.Count == 0 || _gaps[0].Position > target))
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
                    $"The audit log could not record every entry: {_lastFailure} (the entries stay queued and are retried).", _lastException));
                _flushWaiters.RemoveAt(i);
            }
        }
    }
}

/// <summary>Why entries were dropped.</summary>
internal enum AuditGapCause
{
    /// <summary>The queue was full under <see cref="FailureMode.FailOpen"/>.</summary>
    QueueFull,
    /// <summary>Refusals while the durable log could not record and the queue was full.</summary>
    Unavailable,
}

/// <summary>A run of dropped entries, all after the same accepted entry: one gap record in the log.</summary>
internal sealed class AuditGap
{
    public AuditGap(long position, AuditGapCause cause, long firstTicks)
    {
        Position = position;
        Cause = cause;
        FirstTicks = firstTicks;
        LastTicks = firstTicks;
    }

    /// <summary>How many entries were accepted before the first drop: the gap record goes right after them.</summary>
    public long Position { get; }

    public AuditGapCause Cause { get; }

    public long Count { get; set; }

    public long FirstTicks { get; }

    public long LastTicks { get; set; }

    public AuditEntry Record()
    {
        string first = new DateTime(FirstTicks, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
        string last = new DateTime(LastTicks, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
        string why = Cause == AuditGapCause.QueueFull
            ? "the audit queue was full"
            : "the durable audit log could not record, and these operations were refused";
        string reason = string.Create(CultureInfo.InvariantCulture, $"{Count} entries dropped between {first} and {last}: {why}");
        return new AuditEntry(-1, new DateTimeOffset(LastTicks, TimeSpan.Zero), PolicyOperation.All, Array.Empty<byte>(),
            AuditResult.EntriesDropped, null, null, "audit queue", reason);
    }
}

/// <summary>An entry in the queue, and the durable log that already holds it (written with its data), if any.</summary>
internal readonly record struct Queued(AuditEntry Entry, AuditLedger? WrittenTo);
