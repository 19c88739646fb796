using System;
using System.Diagnostics;

namespace SochDb.Policy.Audit;

/// <summary>One outcome on its way into the audit log: every field of an entry, the key still a span.</summary>
internal readonly ref struct AuditDraft
{
    public AuditDraft(long utcTicks, PolicyOperation operation, ReadOnlySpan<byte> key, bool keyMasked, AuditResult result,
        string? agentId, string? sessionId, string? rule, string? reason, ActivityTraceId traceId, ActivitySpanId spanId)
    {
        UtcTicks = utcTicks;
        Operation = operation;
        Key = key;
        KeyMasked = keyMasked;
        Result = result;
        AgentId = agentId;
        SessionId = sessionId;
        Rule = rule;
        Reason = reason;
        TraceId = traceId;
        SpanId = spanId;
    }

    public long UtcTicks { get; }

    public PolicyOperation Operation { get; }

    public ReadOnlySpan<byte> Key { get; }

    public bool KeyMasked { get; }

    public AuditResult Result { get; }

    public string? AgentId { get; }

    public string? SessionId { get; }

    public string? Rule { get; }

    public string? Reason { get; }

    public ActivityTraceId TraceId { get; }

    public ActivitySpanId SpanId { get; }

    public AuditEntry ToEntry(long sequence) =>
        new(sequence, new DateTimeOffset(UtcTicks, TimeSpan.Zero), Operation, Key.ToArray(), Result, AgentId, SessionId, Rule, Reason,
            TraceText(TraceId), SpanText(SpanId), KeyMasked);

    public static string? TraceText(ActivityTraceId id) => id == default ? null : id.ToHexString();

    public static string? SpanText(ActivitySpanId id) => id == default ? null : id.ToHexString();
}
