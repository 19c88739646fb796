using System.Diagnostics;

namespace SochDb.Policy.Diagnostics;

/// <summary>
/// The engine's spans: an <see cref="ActivitySource"/> named <see cref="SourceName"/> with one span per guarded Put, Get,
/// Delete and Write (and their asynchronous twins), tagged with the operation, the result and the deciding rule; a failed
/// operation's span has the error status. Nothing is created or allocated while no listener samples the source.
/// </summary>
internal static class PolicyTracing
{
    /// <summary>The source's name (the same as the meter's).</summary>
    public const string SourceName = "SochDb.Policy";

    public static readonly ActivitySource Source = new(SourceName, typeof(PolicyTracing).Assembly.GetName().Version?.ToString());

    private static readonly string[] SpanNames = { "sochdb.policy read", "sochdb.policy write", "sochdb.policy delete" };

    /// <summary>Starts the span of one operation; null (nothing allocated) when nobody listens.</summary>
    public static Activity? Start(PolicyOperation operation) =>
        Source.HasListeners() ? Source.StartActivity(SpanNames[(int)operation], ActivityKind.Internal) : null;

    /// <summary>Tags the current operation's span with its outcome (the last outcome wins for a batch's items).</summary>
    public static void Tag(PolicyOperation operation, AuditResult result, string? rule, string? reason)
    {
        if (Source.HasListeners())
        {
            TagCurrent(operation, result, rule, reason);
        }
    }

    // Kept out of line: the check above is all an operation pays while nobody listens, and this body's locals stay out of
    // the frame of the routine it would otherwise be inlined into.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void TagCurrent(PolicyOperation operation, AuditResult result, string? rule, string? reason)
    {
        Activity? activity = Activity.Current;
        if (activity is null || !ReferenceEquals(activity.Source, Source))
        {
            return;
        }

        activity.SetTag("sochdb.policy.operation", AuditNames.Of(operation));
        activity.SetTag("sochdb.policy.result", AuditNames.Of(result));
        if (rule is not null)
        {
            activity.SetTag("sochdb.policy.rule", rule);
        }

        if (result is AuditResult.Failed)
        {
            activity.SetStatus(ActivityStatusCode.Error, reason);
        }
        else if (result is AuditResult.Denied or AuditResult.RateLimited or AuditResult.ApprovalRequired && reason is not null)
        {
            activity.SetTag("sochdb.policy.reason", reason);
        }
    }
}
