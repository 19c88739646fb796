using System.Diagnostics.Metrics;

namespace SochDb.Policy.Hosting;

/// <summary>Counters of configuration reloads, on the <c>SochDb.Policy</c> meter.</summary>
internal sealed class ConfigurationMetrics
{
    public const string MeterName = "SochDb.Policy";
    public const string AppliedCounterName = "sochdb.policy.configuration.applied";
    public const string RefusedCounterName = "sochdb.policy.configuration.refused";

    private readonly Counter<long> _applied;
    private readonly Counter<long> _refused;

    public ConfigurationMetrics(IMeterFactory? factory)
    {
        // The factory hands back the engine's own meter (same name), so one listener sees both.
        Meter meter = factory?.Create(new MeterOptions(MeterName)) ?? new Meter(MeterName);
        _applied = meter.CreateCounter<long>(AppliedCounterName, "{configuration}", "Policy configurations applied");
        _refused = meter.CreateCounter<long>(RefusedCounterName, "{configuration}", "Policy configurations refused (the last good one kept)");
    }

    public void Applied() => _applied.Add(1);

    public void Refused() => _refused.Add(1);
}
