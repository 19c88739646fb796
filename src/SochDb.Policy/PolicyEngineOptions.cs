using System;
using System.Diagnostics.Metrics;

namespace SochDb.Policy;

/// <summary>Options of a <see cref="PolicyEngine"/>.</summary>
public sealed record PolicyEngineOptions
{
    /// <summary>
    /// The clock of rate limits and audit timestamps; default <see cref="TimeProvider.System"/>, which the engine reads
    /// through the system's coarse millisecond tick (cheap; see docs/semantics.md). Any other provider (tests pass a
    /// fake one) is used exactly as given.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where the <c>SochDb.Policy</c> meter comes from (for dependency-injected metrics); default null: a process-wide
    /// meter of that name.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// Where rate-limit buckets live; default null: in this process. Set a shared backend (package
    /// <c>SochDb.Policy.Redis</c>) so every engine pointed at it shares the same limits.
    /// </summary>
    public RateLimitBackend? RateLimitBackend { get; init; }

    /// <summary>What happens when <see cref="RateLimitBackend"/> cannot answer; default <see cref="FailureMode.FailClosed"/>.</summary>
    public FailureMode RateLimitBackendFailure { get; init; } = FailureMode.FailClosed;

    /// <summary>
    /// How many guarded operations may be nested on one thread, a handler calling the engine being one level; default
    /// <see cref="PolicyEngine.DefaultMaxNestingDepth"/>, between 1 and 64. An operation past it is refused (audited as
    /// failed) instead of recursing until the process dies of a stack overflow.
    /// </summary>
    public int MaxNestingDepth { get; init; } = PolicyEngine.DefaultMaxNestingDepth;

    /// <summary>
    /// The engine's enforcement mode; default <see cref="EnforcementMode.Enforce"/>. In <see cref="EnforcementMode.Shadow"/>
    /// every rule's verdict is recorded (a refusal as <c>WouldDeny</c>) and no rule changes an operation; rate limits
    /// still apply.
    /// </summary>
    public EnforcementMode Mode { get; init; } = EnforcementMode.Enforce;

    /// <summary>
    /// Where approval requests wait (<see cref="PolicyEngine.Approvals"/>); default null: in the store's own SQLite file
    /// when the store is a <see cref="SochDb.Database"/> opened from a file (requests survive a restart and are shared by
    /// every engine over that file), in memory otherwise. For a fleet, <c>PostgresApprovalStore</c> (package
    /// <c>SochDb.Policy.PostgreSql</c>).
    /// </summary>
    public IApprovalStore? ApprovalStore { get; init; }
}
