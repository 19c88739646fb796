using System;
using System.Diagnostics;

namespace SochDb.Policy.Audit;

/// <summary>
/// What the engine records into while audit is on: the ring (if any), the pipeline to the sinks (if any), and the key
/// mask (if any). Immutable; enabling audit again publishes a new recorder, and writers holding the old one still
/// land in the right place (the ring and the pipeline forward to their successors).
/// </summary>
internal sealed class AuditRecorder
{
    public AuditRecorder(AuditLog? ring, AuditPipeline? pipeline, AuditKeyMask? mask)
    {
        Ring = ring;
        Pipeline = pipeline;
        Mask = mask;
    }

    public AuditLog? Ring { get; }

    public AuditPipeline? Pipeline { get; }

    public AuditKeyMask? Mask { get; }

    public bool RefusesOperations => Pipeline is { RefusesOperations: true };

    /// <summary>Records one outcome; <paramref name="admitted"/> is false for a refusal at admission, whose entry the queue may drop when full.</summary>
    public void Record(long utcTicks, PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, AuditResult result,
        string? rule, string? reason, bool admitted = true)
    {
        Span<byte> maskBuffer = stackalloc byte[AuditKeyMask.Length];
        scoped ReadOnlySpan<byte> recorded = key;
        bool masked = false;
        if (Mask is { } mask && mask.Matches(key))
        {
            mask.Write(key, maskBuffer);
            recorded = maskBuffer;
            masked = true;
        }

        Activity? activity = Activity.Current;
        var draft = new AuditDraft(utcTicks, operation, recorded, masked, result, context.AgentId, context.SessionId, rule, reason,
            activity?.TraceId ?? default, activity?.SpanId ?? default);
        long sequence = Ring is { } ring ? ring.Append(in draft) : -1;
        if (Pipeline is { } pipeline)
        {
            AuditPipeline.Enqueue(pipeline, draft.ToEntry(sequence), admitted);
        }
    }
}
