using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SochDb.Policy;
using SochDb.Policy.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SochDb.Policy engine in a service collection (see docs/operating.md).</summary>
public static class SochDbPolicyServiceCollectionExtensions
{
    /// <summary>
    /// Registers the engine (a singleton) over the store named in <paramref name="section"/>, with the rules and rate
    /// limits listed there, reloaded when the configuration changes. The clock (<see cref="TimeProvider"/>), the meter
    /// factory and the logger factory come from the container when registered. Options are validated when the host
    /// starts; an invalid rule set stops the start.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The policy section, usually <c>configuration.GetSection("SochDbPolicy")</c>.</param>
    /// <returns>A builder to add compiled sets, code rate limits, a custom store or code rules.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static SochDbPolicyBuilder AddSochDbPolicy(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        SochDbPolicyBuilder builder = AddCore(services);
        services.AddOptions<SochDbPolicyOptions>().Configure(options => section.Bind(options));
        string path = (section as IConfigurationSection)?.Path ?? string.Empty;
        services.AddOptions<PolicyRulesOptions>().Configure(options =>
        {
            options.SectionFound = section is not IConfigurationSection s || s.Exists();
            options.SectionPath = path;
            if (options.SectionFound)
            {
                options.ShapeErrors = ConfigurationShapeCheck.Check(section, path.Length == 0 ? SochDbPolicyOptions.SectionName : path);
                options.StartupSettings = ConfigurationShapeCheck.StartupSettings(section);
            }

            section.Bind(options);
        });
        services.AddSingleton<IOptionsChangeTokenSource<PolicyRulesOptions>>(
            new ConfigurationChangeTokenSource<PolicyRulesOptions>(Options.Options.DefaultName, section));
        services.TryAddSingleton<ConfiguredRulesMarker>();
        return builder;
    }

    /// <summary>
    /// Registers the engine configured in code only (no configured rules): compiled sets, rate limits and rules are
    /// added through the returned builder.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the store, mode and audit options.</param>
    /// <returns>A builder to add compiled sets, rate limits, a custom store or code rules.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static SochDbPolicyBuilder AddSochDbPolicy(this IServiceCollection services, Action<SochDbPolicyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        SochDbPolicyBuilder builder = AddCore(services);
        services.Configure(configure);
        return builder;
    }

    private static SochDbPolicyBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<SochDbPolicyOptions>()
            .Validate<IServiceProvider>(
                static (options, sp) => options.Store.InMemory || !string.IsNullOrWhiteSpace(options.Store.Path) || sp.GetService<PolicyStoreFactory>() is not null,
                "SochDbPolicy:Store:Path is required: name the SQLite file, set Store:InMemory to true, or register a store with UseStore.")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SochDbPolicyOptions>, SochDbPolicyOptionsValidator>());
        services.TryAddSingleton<PolicyConfigurationStatus>();
        services.TryAddSingleton<PolicyStoreHolder>();
        services.TryAddSingleton<PolicyEngineHost>();
        services.TryAddSingleton(static sp => sp.GetRequiredService<PolicyEngineHost>().Engine);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PolicyEngineStartup>());
        return new SochDbPolicyBuilder(services);
    }
}
