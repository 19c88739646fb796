using System;
using System.Collections.Generic;
using System.Threading;

namespace SochDb.Policy.Hosting;

/// <summary>
/// What the configured rules are right now: the configuration in force, how many configurations were applied and
/// refused, and why the last one was refused. A singleton in the container; read it from health checks or tests.
/// </summary>
public sealed class PolicyConfigurationStatus
{
    private State _state = new(Array.Empty<PolicyRuleInfo>(), Array.Empty<RateLimitRule>(), 0, 0, null, Array.Empty<PolicyFinding>(), Array.Empty<string>());

    /// <summary>The configured rules in force, in the order they run.</summary>
    public IReadOnlyList<PolicyRuleInfo> Rules => Volatile.Read(ref _state).Rules;

    /// <summary>The configured rate limits in force.</summary>
    public IReadOnlyList<RateLimitRule> RateLimits => Volatile.Read(ref _state).RateLimits;

    /// <summary>
    /// What the analysis of the rules in force found when the configuration was applied (a rule that never runs, a
    /// duplicate, an open parent key, an approval or redaction never reached); each is also logged as a warning.
    /// </summary>
    public IReadOnlyList<PolicyFinding> Findings => Volatile.Read(ref _state).Findings;

    /// <summary>How many configurations were applied (1 after start-up; one more per good reload).</summary>
    public long AppliedCount => Volatile.Read(ref _state).Applied;

    /// <summary>How many configurations were refused since start-up.</summary>
    public long RefusedCount => Volatile.Read(ref _state).Refused;

    /// <summary>
    /// Settings of the configuration in force that are read only at start-up — the engine-wide <c>Mode</c>, the store,
    /// the audit, <c>MaxNestingDepth</c> — and that differ from what the engine runs with: each path, saying what it
    /// needs (a restart). Empty when none does. The rules and rate limits of that configuration are applied.
    /// </summary>
    public IReadOnlyList<string> PendingRestart => Volatile.Read(ref _state).PendingRestart;

    /// <summary>Why the most recent refusal happened; null when none has.</summary>
    public PolicyConfigurationException? LastRefusal => Volatile.Read(ref _state).LastRefusal;

    internal void Applied(PolicyConfigurationSnapshot snapshot, IReadOnlyList<PolicyFinding> findings, IReadOnlyList<string> pendingRestart)
    {
        State s = _state;
        Volatile.Write(ref _state, new State(snapshot.Rules, snapshot.RateLimits, s.Applied + 1, s.Refused, s.LastRefusal, findings, pendingRestart));
    }

    internal void Refused(PolicyConfigurationException refusal)
    {
        State s = _state;
        Volatile.Write(ref _state, new State(s.Rules, s.RateLimits, s.Applied, s.Refused + 1, refusal, s.Findings, s.PendingRestart));
    }

    // One immutable record, so a reader never sees the rules of one configuration with the counts of another.
    private sealed record State(
        IReadOnlyList<PolicyRuleInfo> Rules,
        IReadOnlyList<RateLimitRule> RateLimits,
        long Applied,
        long Refused,
        PolicyConfigurationException? LastRefusal,
        IReadOnlyList<PolicyFinding> Findings,
        IReadOnlyList<string> PendingRestart);
}
