using System;
using System.Diagnostics;
using System.Linq;

namespace SochDb.Policy.Audit;

/// <summary>
/// What the engine records into while audit is on: the ring (if any), the pipeline to the sinks (if any), and the key
/// mask (if any). Immutable; enabling audit again publishes a new recorder, and writers holding the old one still
/// land in the right place (the ring and the pipeline forward to their successors).
/// </summary>
internal sealed class AuditRecorder
{
    private readonly bool _queueWrittenWithData;

    public AuditRecorder(AuditLog? ring, AuditPipeline? pipeline, AuditKeyMask? mask, AuditLedger? withWrite = null)
    {
        Ring = ring;
        Pipeline = pipeline;
        Mask = mask;
        WithWrite = withWrite;
        // An entry written with its data goes through the queue only for whatever else needs it: another sink, or the
        // anchor, which counts entries. Otherwise the queue (and its writer's wake-up) would carry it for nothing.
        _queueWrittenWithData = pipeline is not null && (pipeline.HasAnchor || pipeline.Sinks.Any(sink => !ReferenceEquals(AuditLedger.Of(sink), withWrite)));
    }

    /// <summary>
    /// The durable log that takes the entries of writes in the data's own transaction (<see cref="AuditDurability.WithWrite"/>),
    /// or null: every entry goes through the queue.
    /// </summary>
    public AuditLedger? WithWrite { get; }

    public AuditLog? Ring { get; }

    public AuditPipeline? Pipeline { get; }

    public AuditKeyMask? Mask { get; }

    public bool RefusesOperations => Pipeline is { RefusesOperations: true };

    /// <summary>
    /// Records one outcome; <paramref name="admitted"/> is false for a refusal at admission, whose entry the queue may
    /// drop when full. <paramref name="writtenTo"/> is the durable log that already holds the entry (written with the
    /// data): the queue still hands it to every other sink, and not to that one.
    /// </summary>
    public void Record(long utcTicks, PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, AuditResult result,
        string? rule, string? reason, bool admitted = true, AuditLedger? writtenTo = null)
    {
        Span<byte> maskBuffer = stackalloc byte[AuditKeyMask.Length];
        ReadOnlySpan<byte> recorded = Recorded(key, maskBuffer, out bool masked);
        Activity? activity = Activity.Current;
        var draft = new AuditDraft(utcTicks, operation, recorded, masked, result, context.AgentId, context.SessionId, rule, reason,
            activity?.TraceId ?? default, activity?.SpanId ?? default);
        long sequence = Ring is { } ring ? ring.Append(in draft) : -1;
        if (Pipeline is { } pipeline && (writtenTo is null || _queueWrittenWithData))
        {
            AuditPipeline.Enqueue(pipeline, draft.ToEntry(sequence), admitted, writtenTo);
        }
    }

    /// <summary>
    /// The entry of one outcome as the durable log stores it (masked like every other, no ring sequence), for a store
    /// that writes it in the data's transaction; <see cref="Record"/> with <c>writtenTo</c> afterwards puts it in the
    /// ring and the other sinks.
    /// </summary>
    public AuditEntry Prepare(long utcTicks, PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, AuditResult result,
        string? rule, string? reason)
    {
        Span<byte> maskBuffer = stackalloc byte[AuditKeyMask.Length];
        ReadOnlySpan<byte> recorded = Recorded(key, maskBuffer, out bool masked);
        Activity? activity = Activity.Current;
        return new AuditDraft(utcTicks, operation, recorded, masked, result, context.AgentId, context.SessionId, rule, reason,
            activity?.TraceId ?? default, activity?.SpanId ?? default).ToEntry(-1);
    }

    // The key as the log records it: its mask (written into buffer) where a mask pattern covers it, else the key itself.
    private ReadOnlySpan<byte> Recorded(ReadOnlySpan<byte> key, Span<byte> buffer, out bool masked)
    {
        masked = Mask is { } mask && mask.Matches(key);
        if (!masked)
        {
            return key;
        }

        Mask!.Write(key, buffer);
        return buffer;
    }
}
