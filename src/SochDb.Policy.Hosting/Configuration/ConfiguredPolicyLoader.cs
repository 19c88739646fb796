using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SochDb.Policy.Hosting;

/// <summary>
/// Puts the configured rules and limits into the engine, and again on every change: a valid configuration replaces
/// the previous one in one atomic swap of the engine's rule table; an invalid one is refused whole, logged and
/// counted, and the previous one stays in force.
/// </summary>
internal sealed class ConfiguredPolicyLoader : IDisposable
{
    private readonly PolicyEngine _engine;
    private readonly IOptionsMonitor<PolicyRulesOptions> _monitor;
    private readonly ILogger _logger;
    private readonly ConfigurationMetrics _metrics;
    private readonly PolicyConfigurationStatus _status;
    private readonly object _gate = new();
    private readonly List<PolicyRegistration> _limits = new();
    private PolicyRegistration? _rules;
    private IReadOnlyDictionary<string, string?>? _startup;
    private IDisposable? _subscription;
    private bool _disposed;

    public ConfiguredPolicyLoader(
        PolicyEngine engine,
        IOptionsMonitor<PolicyRulesOptions> monitor,
        ILogger logger,
        ConfigurationMetrics metrics,
        PolicyConfigurationStatus status)
    {
        _engine = engine;
        _monitor = monitor;
        _logger = logger;
        _metrics = metrics;
        _status = status;
    }

    /// <summary>Applies the configuration as it is now and starts following changes.</summary>
    /// <exception cref="PolicyConfigurationException">The configuration is invalid: the engine must not start with it.</exception>
    public void Start()
    {
        lock (_gate)
        {
            PolicyRulesOptions options = _monitor.CurrentValue;
            _startup = options.StartupSettings;
            if (!TryApply(options, out PolicyConfigurationException? refusal))
            {
                throw refusal!;
            }

            _subscription = _monitor.OnChange(OnChange);
        }
    }

    private void OnChange(PolicyRulesOptions options, string? name)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return;
        }

        lock (_gate)
        {
            if (!_disposed)
            {
                // A refusal is logged and counted inside; nothing escapes into the configuration system's thread (an
                // exception there would end its change subscription, and no later edit would ever be applied).
                try
                {
                    TryApply(options, out _);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Refuse(new PolicyConfigurationException(new[]
                    {
                        new PolicyConfigurationError(options.SectionPath, null, "the configuration could not be applied: " + e.GetType().Name, null),
                    }));
                }
            }
        }
    }

    private bool TryApply(PolicyRulesOptions options, out PolicyConfigurationException? refusal)
    {
        PolicyConfigurationSnapshot snapshot;
        try
        {
            snapshot = PolicyConfigurationCompiler.Compile(options);
            _rules = _engine.RegisterRules(snapshot.Rules, replacing: _rules);
        }
        catch (PolicyConfigurationException e)
        {
            Refuse(refusal = e);
            return false;
        }
        catch (ArgumentException e)
        {
            // The engine re-validates what it registers; anything it still rejects is a refusal like any other.
            Refuse(refusal = new PolicyConfigurationException(new[]
            {
                new PolicyConfigurationError(options.SectionPath, null, e.Message, (e as GlobPatternException)?.Position),
            }));
            return false;
        }

        SwapLimits(snapshot.RateLimits);
        IReadOnlyList<string> pendingRestart = PendingRestart(options);

        // The rules in force are analysed as a whole (compiled sets too: they run first); findings warn, never refuse.
        PolicySetReport analysis = _engine.Analyze();
        foreach (PolicyFinding finding in analysis.Findings)
        {
            HostingLog.AnalysisFinding(_logger, finding.Id, finding.Message);
        }

        _status.Applied(snapshot, analysis.Findings, pendingRestart);
        _metrics.Applied();
        HostingLog.ConfigurationApplied(_logger, snapshot.Rules.Count, snapshot.RateLimits.Count, _status.AppliedCount);
        if (pendingRestart.Count > 0)
        {
            HostingLog.ConfigurationNeedsRestart(_logger, string.Join("; ", pendingRestart));
        }
        refusal = null;
        return true;
    }

    /// <summary>
    /// The settings read only at start-up (everything but Rules and RateLimits) that <paramref name="options"/> changes
    /// from the configuration the engine was built with: the engine keeps running with the old ones until a restart.
    /// </summary>
    private IReadOnlyList<string> PendingRestart(PolicyRulesOptions options)
    {
        IReadOnlyDictionary<string, string?> startup = _startup ?? options.StartupSettings;
        string section = options.SectionPath.Length == 0 ? SochDbPolicyOptions.SectionName : options.SectionPath;
        var changed = new List<string>();
        foreach (string key in startup.Keys.Union(options.StartupSettings.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
        {
            startup.TryGetValue(key, out string? before);
            options.StartupSettings.TryGetValue(key, out string? now);
            if (key.Equals("Mode", StringComparison.OrdinalIgnoreCase))
            {
                string inForce = string.IsNullOrEmpty(before) ? "Enforce" : before;
                string configured = string.IsNullOrEmpty(now) ? "Enforce" : now;
                if (!inForce.Equals(configured, StringComparison.OrdinalIgnoreCase))
                {
                    changed.Add($"{section}:Mode is {configured} in the configuration but the engine runs in {inForce}: the engine-wide mode is read at start-up, so the change needs a restart");
                }
            }
            else if (!string.Equals(before, now, StringComparison.Ordinal))
            {
                changed.Add($"{section}:{key} changed: it is read at start-up, so the change needs a restart");
            }
        }

        return changed;
    }

    /// <summary>
    /// Adds the new limits before removing the old ones, so for an instant both are in force: a reload can make limits
    /// briefly stricter, never looser. A limit present in both configurations keeps its buckets (its tokens).
    /// </summary>
    private void SwapLimits(IReadOnlyList<RateLimitRule> limits)
    {
        var kept = new List<PolicyRegistration>();
        var added = new List<PolicyRegistration>();
        foreach (RateLimitRule limit in limits)
        {
            PolicyRegistration? same = _limits.FirstOrDefault(r => SameLimit(r.Limits[0], limit) && !kept.Contains(r));
            if (same is not null)
            {
                kept.Add(same);
            }
            else
            {
                added.Add(_engine.AddRateLimit(limit));
            }
        }

        foreach (PolicyRegistration old in _limits)
        {
            if (!kept.Contains(old))
            {
                old.Dispose();
            }
        }

        _limits.Clear();
        _limits.AddRange(kept);
        _limits.AddRange(added);
    }

    private static bool SameLimit(RateLimitRule a, RateLimitRule b) =>
        a.Operation == b.Operation && a.MaxPerMinute == b.MaxPerMinute && a.Scope == b.Scope;

    private void Refuse(PolicyConfigurationException refusal)
    {
        _status.Refused(refusal);
        _metrics.Refused();
        HostingLog.ConfigurationRefused(_logger, string.Join("; ", refusal.Errors));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _subscription?.Dispose();
        }
    }
}
