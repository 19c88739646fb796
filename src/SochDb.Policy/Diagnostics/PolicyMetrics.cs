using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace SochDb.Policy.Diagnostics;

/// <summary>
/// The engine's instruments, on a <see cref="Meter"/> named <see cref="MeterName"/>: a counter of decisions tagged
/// with the operation (<c>read</c>, <c>write</c>, <c>delete</c>) and the result (<c>allowed</c>, <c>denied</c>,
/// <c>modified</c>, <c>rate_limited</c>, <c>failed</c>). Tags are preallocated, so recording allocates nothing.
/// </summary>
internal sealed class PolicyMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "SochDb.Policy";

    /// <summary>The decisions counter's name.</summary>
    public const string DecisionsCounterName = "sochdb.policy.decisions";

    private static readonly Meter SharedMeter = new(MeterName);
    private static readonly PolicyMetrics SharedInstance = new(SharedMeter);

    // Preallocated, so recording allocates nothing; the names are the audit log's (one list, AuditNames).
    private static readonly KeyValuePair<string, object?>[] OperationTags = Tags("operation",
        AuditNames.Of(PolicyOperation.Read), AuditNames.Of(PolicyOperation.Write), AuditNames.Of(PolicyOperation.Delete));

    private static readonly KeyValuePair<string, object?>[] ResultTags = ResultNames();

    /// <summary>The counter of audit entries dropped because the audit queue was full.</summary>
    public const string AuditDroppedCounterName = "sochdb.policy.audit.dropped";

    /// <summary>The counter of audit sink failures, tagged with the sink's name (<c>sink</c>).</summary>
    public const string AuditSinkFailuresCounterName = "sochdb.policy.audit.sink_failures";

    /// <summary>The counter of rate-limit backend failures, tagged with the failure policy applied.</summary>
    public const string LimitBackendFailuresCounterName = "sochdb.policy.ratelimit.backend_failures";

    private static readonly KeyValuePair<string, object?>[] FailurePolicyTags =
    {
        new("policy", "fail_closed"),
        new("policy", "fail_open"),
        new("policy", "local_fallback"),
    };

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _limitBackendFailures;
    private readonly Counter<long> _auditDropped;
    private readonly Counter<long> _auditSinkFailures;

    private PolicyMetrics(Meter meter)
    {
        _decisions = meter.CreateCounter<long>(DecisionsCounterName, unit: "{decision}", description: "Policy decisions by operation and result.");
        _auditDropped = meter.CreateCounter<long>(AuditDroppedCounterName, unit: "{entry}", description: "Audit entries dropped because the audit queue was full.");
        _auditSinkFailures = meter.CreateCounter<long>(AuditSinkFailuresCounterName, unit: "{failure}", description: "Audit sink failures by sink.");
        _limitBackendFailures = meter.CreateCounter<long>(LimitBackendFailuresCounterName, unit: "{failure}",
            description: "Rate-limit backend calls that failed or timed out, by the failure policy applied.");
    }

    internal void RecordLimitBackendFailure(FailureMode policy)
    {
        if (_limitBackendFailures.Enabled)
        {
            _limitBackendFailures.Add(1, FailurePolicyTags[(int)policy]);
        }
    }

    internal static PolicyMetrics Create(IMeterFactory? factory) =>
        factory is null ? SharedInstance : new PolicyMetrics(factory.Create(MeterName));

    /// <summary>Whether anyone listens to the decisions counter (the engine skips recording while nobody does).</summary>
    internal bool DecisionsEnabled => _decisions.Enabled;

    internal void RecordDecision(PolicyOperation operation, AuditResult result)
    {
        if (_decisions.Enabled)
        {
            // Every AuditResult has a tag (built from the enum), so the index is always in range.
            _decisions.Add(1, OperationTags[(int)operation], ResultTags[(int)result]);
        }
    }

    internal void RecordAuditDropped()
    {
        if (_auditDropped.Enabled)
        {
            _auditDropped.Add(1);
        }
    }

    internal void RecordAuditSinkFailure(string sink)
    {
        if (_auditSinkFailures.Enabled)
        {
            _auditSinkFailures.Add(1, new KeyValuePair<string, object?>("sink", sink));
        }
    }

    private static KeyValuePair<string, object?>[] Tags(string name, params string[] values)
    {
        var tags = new KeyValuePair<string, object?>[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            tags[i] = new(name, values[i]);
        }

        return tags;
    }

    private static KeyValuePair<string, object?>[] ResultNames()
    {
        AuditResult[] results = Enum.GetValues<AuditResult>();
        var names = new string[results.Length];
        for (int i = 0; i < results.Length; i++)
        {
            names[i] = AuditNames.Of((AuditResult)i);
        }

        return Tags("result", names);
    }
}
