using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>A service provider with AddSochDbPolicy over an in-memory store and a swappable configuration.</summary>
internal sealed class PolicyHost : IDisposable
{
    public PolicyHost(IDictionary<string, string?> configuration, Action<SochDbPolicyBuilder>? build = null)
    {
        Configuration = new SwappableConfiguration(WithInMemoryStore(configuration));
        IConfigurationRoot root = new ConfigurationBuilder().Add(Configuration).Build();
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddFakeLogging();
        services.AddSingleton<TimeProvider>(Clock);
        SochDbPolicyBuilder builder = services.AddSochDbPolicy(root.GetSection("SochDbPolicy"));
        build?.Invoke(builder);
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public SwappableConfiguration Configuration { get; }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public ServiceProvider Services { get; }

    public PolicyEngine Engine => Services.GetRequiredService<PolicyEngine>();

    public PolicyConfigurationStatus Status => Services.GetRequiredService<PolicyConfigurationStatus>();

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public IReadOnlyList<FakeLogRecord> Errors => Logs.GetSnapshot().Where(r => r.Level == LogLevel.Error).ToList();

    public void Reload(IDictionary<string, string?> configuration) => Configuration.Replace(WithInMemoryStore(configuration));

    public void Dispose() => Services.Dispose();

    private static Dictionary<string, string?> WithInMemoryStore(IDictionary<string, string?> configuration) =>
        new(configuration) { ["SochDbPolicy:Store:InMemory"] = "true" };
}

/// <summary>Builds configuration dictionaries for rules and limits.</summary>
internal static class Config
{
    public static Dictionary<string, string?> Rules(params (string Trigger, string Pattern, string Action)[] rules)
    {
        // An empty list is written as configuration reads "Rules": [] from JSON: the key with an empty value.
        var data = new Dictionary<string, string?> { ["SochDbPolicy:Mode"] = "Enforce" };
        if (rules.Length == 0)
        {
            data["SochDbPolicy:Rules"] = "";
        }

        for (int i = 0; i < rules.Length; i++)
        {
            data[$"SochDbPolicy:Rules:{i}:Trigger"] = rules[i].Trigger;
            data[$"SochDbPolicy:Rules:{i}:Pattern"] = rules[i].Pattern;
            data[$"SochDbPolicy:Rules:{i}:Action"] = rules[i].Action;
        }

        return data;
    }

    public static Dictionary<string, string?> With(this Dictionary<string, string?> data, string key, string? value)
    {
        data["SochDbPolicy:" + key] = value;
        return data;
    }
}
