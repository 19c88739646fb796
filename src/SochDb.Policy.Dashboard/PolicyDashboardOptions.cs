using System;

namespace SochDb.Policy.Dashboard;

/// <summary>Options of <see cref="PolicyDashboardEndpoints.MapPolicyDashboard"/>.</summary>
public sealed class PolicyDashboardOptions
{
    /// <summary>
    /// The authorization policy every page and form requires (<c>RequireAuthorization(policy)</c>). Mapping refuses to
    /// start without one unless <see cref="AllowAnonymousLocalRequests"/> is set.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// Serve people who are not signed in, but only on requests from the loopback interface (127.0.0.1, ::1); any other
    /// request gets 403. For a desk on the same machine; ignored when <see cref="AuthorizationPolicy"/> is set.
    /// </summary>
    public bool AllowAnonymousLocalRequests { get; set; }

    /// <summary>
    /// The durable decision log the log page pages through and verifies (a <see cref="SqliteAuditSink"/> or a
    /// <c>PostgresAuditSink</c>; another sink is refused when the dashboard is mapped); null: the engine's in-memory ring
    /// of recent entries, without verification.
    /// </summary>
    public AuditSink? DecisionLog { get; set; }

    /// <summary>Entries per page of the decision log; default 50, between 1 and 500.</summary>
    public int PageSize { get; set; } = 50;

    /// <summary>
    /// How many bytes of a pending write's value the approvals page shows (the only place a value is shown); default
    /// 256, 0 to show none. Values of masked keys are never shown.
    /// </summary>
    public int PreviewBytes { get; set; } = 256;

    /// <summary>How long one view may read the log for the rule counts or the chain verification (tests shorten the slices).</summary>
    internal TimeSpan ViewBudget { get; set; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Entries read per step of the tally or the verification.</summary>
    internal int SliceEntries { get; set; } = 1024;

    /// <summary>Ids a filtered page of the log searches at a time.</summary>
    internal long SearchWindow { get; set; } = 100_000;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(AuthorizationPolicy) && !AllowAnonymousLocalRequests)
        {
            throw new InvalidOperationException(
                "The policy dashboard lets people approve operations, so it needs an authorization policy: set PolicyDashboardOptions.AuthorizationPolicy, "
                + "or AllowAnonymousLocalRequests = true to serve only requests from this machine.");
        }

        if (DecisionLog is not null && AuditLedger.Of(DecisionLog) is null)
        {
            throw new ArgumentException(
                $"PolicyDashboardOptions.DecisionLog is the sink '{DecisionLog.Name}', which is not a durable decision log: give a SqliteAuditSink or a PostgresAuditSink (or null for the engine's recent entries).",
                nameof(DecisionLog));
        }

        if (PageSize is < 1 or > 500)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "PolicyDashboardOptions.PageSize is between 1 and 500.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(PreviewBytes, nameof(PreviewBytes));
    }
}
