using System;
using System.Collections.Generic;

namespace SochDb.Policy;

/// <summary>
/// What <see cref="PolicyAudit.Enable(AuditOptions)"/> records, where, and what happens when it cannot. Immutable;
/// derive a variant with <c>with</c>. Two options are equal when every field is (lists and the mask key element by
/// element, sinks by identity).
/// </summary>
public sealed record AuditOptions
{
    private readonly ValueList<AuditSink>? _sinks = ValueList<AuditSink>.Empty;
    private readonly ValueList<string>? _maskedKeys = ValueList<string>.Empty;
    private readonly ValueList<byte>? _maskKey;

    /// <summary>Entries kept by the in-memory ring that <see cref="PolicyAudit.Recent"/> reads; default 10,000; 0 turns the ring off.</summary>
    public int RingSize { get; init; } = 10_000;

    /// <summary>Sinks that receive every entry through the background writer (a durable <see cref="AuditLedger"/>, an exporter); default none.</summary>
    public IReadOnlyList<AuditSink> Sinks { get => _sinks!; init => _sinks = ValueList<AuditSink>.CopyOf(value); }

    /// <summary>Entries the queue in front of the sinks holds; default 65,536.</summary>
    public int QueueCapacity { get; init; } = 65_536;

    /// <summary>Entries the background writer hands to the sinks in one batch (one transaction); default 1,024.</summary>
    public int MaxBatchSize { get; init; } = 1_024;

    /// <summary>
    /// How long the background writer waits for a batch to fill before it writes what it has; default 2 ms. Fewer,
    /// larger transactions cost the sinks (and the operations sharing the machine with them) far less than one per
    /// entry. <see cref="PolicyAudit.Flush"/>, disposal and a full batch end the wait early; <see cref="TimeSpan.Zero"/>
    /// writes as soon as anything is queued. At most one second.
    /// </summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// The longest a new operation waits to be admitted while the queue is full under <see cref="FailureMode.FailClosed"/>;
    /// default 2 s. Past it the operation is refused (<see cref="PolicyViolationException"/>, nothing done), so a sink
    /// that stalls never hangs the application; while a durable sink fails under
    /// <see cref="FailureMode.FailClosed"/> operations are refused at once. <see cref="TimeSpan.Zero"/> never
    /// waits. At most one hour.
    /// </summary>
    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// When the entry of a write reaches the durable log; default <see cref="AuditDurability.Queued"/> (the background
    /// writer, within <see cref="MaxBatchDelay"/>). <see cref="AuditDurability.WithWrite"/> writes the entry of each Put,
    /// Delete and batch in the data's own transaction; it needs the engine's store and the first durable log among
    /// <see cref="Sinks"/> in one database (a <see cref="SqliteAuditSink"/> on the store's file).
    /// </summary>
    public AuditDurability Durability { get; init; } = AuditDurability.Queued;

    /// <summary>
    /// What happens when the queue is full. <see cref="FailureMode.FailClosed"/> (the default): a new operation waits,
    /// at most <see cref="MaxBlock"/> and then it is refused, until the background writer makes room, so nothing is ever
    /// lost and nothing is done that is not recorded. <see cref="FailureMode.FailOpen"/>: the entry is dropped and
    /// counted (<c>sochdb.policy.audit.dropped</c>, <see cref="AuditStatus.Dropped"/>), and the durable log gets a gap
    /// record (<see cref="AuditResult.EntriesDropped"/>) saying how many and when. (<see cref="FailureMode.LocalFallback"/>
    /// is refused.)
    /// </summary>
    public FailureMode Overflow { get; init; } = FailureMode.FailClosed;

    /// <summary>What happens to operations while a durable sink fails; default <see cref="FailureMode.FailClosed"/>.</summary>
    public FailureMode SinkFailure { get; init; } = FailureMode.FailClosed;

    /// <summary>
    /// Glob patterns (the policy grammar) of keys recorded as a keyed hash (<c>masked:</c> and 32 hex digits) instead
    /// of their text, in the ring and in every sink; default none.
    /// </summary>
    public IReadOnlyList<string> MaskedKeys { get => _maskedKeys!; init => _maskedKeys = ValueList<string>.CopyOf(value); }

    /// <summary>
    /// The secret of the keyed hash (HMAC-SHA256) of masked keys, at least 16 bytes. Keep it to correlate masks across
    /// restarts and engines; default null: a random key per engine, so masks correlate within one engine's life only.
    /// </summary>
    /// <remarks>The options keep their own copy; reading the property returns a copy of it.</remarks>
    public byte[]? MaskKey { get => _maskKey?.ToArray(); init => _maskKey = ValueList<byte>.CopyOf(value); }

    /// <summary>
    /// Where the head of the durable log (the first <see cref="AuditLedger"/> among <see cref="Sinks"/>) is published:
    /// every <see cref="AnchorEvery"/> entries or <see cref="AnchorInterval"/>, whichever comes first, and when the
    /// sinks change, audit is disabled or the engine is disposed. Default none. See <see cref="IAuditAnchor.File"/>.
    /// </summary>
    public IAuditAnchor? Anchor { get; init; }

    /// <summary>Entries written between two publications of the head to <see cref="Anchor"/>; default 1,000.</summary>
    public int AnchorEvery { get; init; } = 1_000;

    /// <summary>The longest a written entry waits for its head to be published to <see cref="Anchor"/>; default 10 s.</summary>
    public TimeSpan AnchorInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called on the background writer with the sink and what it threw, after a sink fails to write a batch or to flush;
    /// default none. A durable sink's failed batch stays queued and is retried (<see cref="AuditSink.IsDurable"/>);
    /// another sink's is skipped for it. <see cref="PolicyAudit.Status"/> counts the failures
    /// (<see cref="AuditStatus.SinkFailures"/>). Must not throw (what it throws is ignored).
    /// </summary>
    public Action<AuditSink, Exception>? OnSinkFailure { get; init; }

    internal void Validate()
    {
        if (RingSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RingSize), RingSize, "AuditOptions.RingSize must be 0 (no ring) or positive.");
        }

        if (QueueCapacity <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "AuditOptions.QueueCapacity must be positive.");
        }

        if (MaxBatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "AuditOptions.MaxBatchSize must be positive.");
        }

        if (MaxBatchDelay < TimeSpan.Zero || MaxBatchDelay > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchDelay), MaxBatchDelay, "AuditOptions.MaxBatchDelay must be between zero and one second.");
        }

        if (MaxBlock < TimeSpan.Zero || MaxBlock > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBlock), MaxBlock, "AuditOptions.MaxBlock must be between zero and one hour.");
        }

        if (Overflow is not (FailureMode.FailClosed or FailureMode.FailOpen))
        {
            throw new ArgumentOutOfRangeException(nameof(Overflow), Overflow, "AuditOptions.Overflow is FailClosed (wait for room, then refuse) or FailOpen (drop the entry, record the gap).");
        }

        if (Durability is not (AuditDurability.Queued or AuditDurability.WithWrite))
        {
            throw new ArgumentOutOfRangeException(nameof(Durability), Durability, "AuditOptions.Durability is Queued or WithWrite.");
        }

        if (SinkFailure is not (FailureMode.FailClosed or FailureMode.FailOpen))
        {
            throw new ArgumentOutOfRangeException(nameof(SinkFailure), SinkFailure,
                "AuditOptions.SinkFailure is FailClosed or FailOpen (a decision log has no local fallback).");
        }

        if (Sinks is null)
        {
            throw new ArgumentNullException(nameof(Sinks), "AuditOptions.Sinks must not be null (leave it empty for none).");
        }

        for (int i = 0; i < Sinks.Count; i++)
        {
            if (Sinks[i] is null)
            {
                throw new ArgumentException($"AuditOptions.Sinks[{i}] is null.", nameof(Sinks));
            }
        }

        if (MaskedKeys is null)
        {
            throw new ArgumentNullException(nameof(MaskedKeys), "AuditOptions.MaskedKeys must not be null (leave it empty for none).");
        }

        if (_maskKey is { Count: < 16 } key)
        {
            throw new ArgumentException($"AuditOptions.MaskKey has {key.Count} bytes; a mask key needs at least 16.", nameof(MaskKey));
        }

        if (AnchorEvery <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(AnchorEvery), AnchorEvery, "AuditOptions.AnchorEvery must be positive.");
        }

        if (AnchorInterval <= TimeSpan.Zero || AnchorInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(AnchorInterval), AnchorInterval, "AuditOptions.AnchorInterval must be positive and at most a day.");
        }

        if (Anchor is not null && !HasLedger())
        {
            throw new ArgumentException("AuditOptions.Anchor publishes the head of a durable log, and no sink is one (an AuditLedger such as SqliteAuditSink).", nameof(Anchor));
        }

        if (Durability == AuditDurability.WithWrite && !HasLedger())
        {
            throw new ArgumentException(
                "AuditOptions.Durability is WithWrite, which writes the entries of writes into a durable log in the data's transaction, and no sink is one (an AuditLedger such as SqliteAuditSink on the store's file).",
                nameof(Durability));
        }

        if (RingSize == 0 && Sinks.Count == 0)
        {
            throw new ArgumentException("AuditOptions records nowhere: RingSize is 0 and there are no sinks.", nameof(RingSize));
        }
    }

    /// <summary>The first durable log among the sinks, or null.</summary>
    internal AuditLedger? FirstLedger()
    {
        foreach (AuditSink sink in Sinks)
        {
            if (sink is AuditLedger ledger)
            {
                return ledger;
            }
        }

        return null;
    }

    private bool HasLedger() => FirstLedger() is not null;
}

/// <summary>When the decision entry of a write becomes durable (see <see cref="AuditOptions.Durability"/>).</summary>
public enum AuditDurability
{
    /// <summary>
    /// Every entry goes through the bounded queue and the background writer, which commits a batch within
    /// <see cref="AuditOptions.MaxBatchDelay"/>. A process killed before that loses the entries still queued; the log
    /// reopened after it records a gap saying so.
    /// </summary>
    Queued = 0,

    /// <summary>
    /// The entry of each Put, Delete and batch is written in the same database transaction as the data: a committed
    /// write always has its entry, a rolled-back one has none. Reads, refusals and failures still go through the queue.
    /// Needs the engine's store and the first durable log in one database; enabling audit refuses it otherwise.
    /// </summary>
    WithWrite = 1,
}

/// <summary>A snapshot of the audit pipeline's counters.</summary>
public sealed record AuditStatus
{
    /// <summary>Entries accepted into the queue in front of the sinks.</summary>
    public long Enqueued { get; init; }

    /// <summary>Entries every sink has taken (the durable ones committed).</summary>
    public long Written { get; init; }

    /// <summary>Entries dropped because the queue was full (<see cref="FailureMode.FailOpen"/>).</summary>
    public long Dropped { get; init; }

    /// <summary>Sink failures so far.</summary>
    public long SinkFailures { get; init; }

    /// <summary>Whether a durable sink's last attempt failed (and, under <see cref="FailureMode.FailClosed"/>, operations are refused).</summary>
    public bool IsFailing { get; init; }

    /// <summary>
    /// The last sink or anchor failure, in the engine's words: which sink failed and the exception's type (never its
    /// message, which can quote a key or a path; <see cref="AuditOptions.OnSinkFailure"/> receives the exception itself).
    /// </summary>
    public string? LastFailure { get; init; }
}
