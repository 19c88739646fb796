using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Hosting;

/// <summary>
/// Builds the engine from the container (store, clock, meter factory, compiled sets, limits) and keeps its configured
/// rules current. The container owns it; disposing it stops following configuration changes.
/// </summary>
internal sealed class PolicyEngineHost : IDisposable
{
    private readonly ConfiguredPolicyLoader? _loader;
    private AuditSink[] _sinks = Array.Empty<AuditSink>();

    public PolicyEngineHost(IServiceProvider services)
    {
        SochDbPolicyOptions options = services.GetRequiredService<IOptions<SochDbPolicyOptions>>().Value;
        IKeyValueStore store = services.GetRequiredService<PolicyStoreHolder>().Store;
        ILoggerFactory loggers = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        IMeterFactory? meters = services.GetService<IMeterFactory>();
        var engineOptions = new PolicyEngineOptions
        {
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            MeterFactory = meters,
            MaxNestingDepth = options.MaxNestingDepth,
            Mode = options.Mode,
        };
        CompiledPolicySet[] sets = services.GetServices<CompiledSetRegistration>().Select(r => r.Set).ToArray();
        Engine = new PolicyEngine(store, engineOptions, sets);
        try
        {
            if (options.Audit.Enabled)
            {
                // A sink that throws is counted and metered by the engine; here it is also logged, so an operator sees why
                // guarded operations are refused while the durable log cannot record (FailClosed).
                ILogger auditLogger = loggers.CreateLogger("SochDb.Policy.Audit");
                Engine.Audit.Enable(new AuditOptions
                {
                    RingSize = options.Audit.MaxEntries,
                    Sinks = CreateSinks(services, options.Audit),
                    MaskedKeys = options.Audit.MaskedKeys.ToArray(),
                    OnSinkFailure = (sink, exception) => Logging.AuditLogMessages.SinkFailed(
                        auditLogger, exception, sink.Name, sink.IsDurable),
                });
            }

            foreach (CodeRateLimitRegistration limit in services.GetServices<CodeRateLimitRegistration>())
            {
                Engine.AddRateLimit(limit.Limit);
            }

            if (services.GetService<ConfiguredRulesMarker>() is not null)
            {
                _loader = new ConfiguredPolicyLoader(
                    Engine,
                    services.GetRequiredService<IOptionsMonitor<PolicyRulesOptions>>(),
                    loggers.CreateLogger("SochDb.Policy.Hosting.Configuration"),
                    new ConfigurationMetrics(meters),
                    services.GetRequiredService<PolicyConfigurationStatus>());
                _loader.Start();
            }

            foreach (EngineConfiguration configure in services.GetServices<EngineConfiguration>())
            {
                configure.Configure(Engine, services);
            }
        }
        catch
        {
            // An invalid configuration stops the start: release what was built so no background writer lingers.
            Engine.Dispose();
            Dispose();
            throw;
        }
    }

    public PolicyEngine Engine { get; }

    /// <summary>Runs after the container disposed the engine (which flushed the sinks): stops reloads, then closes the sinks.</summary>
    public void Dispose()
    {
        _loader?.Dispose();
        foreach (AuditSink sink in _sinks)
        {
            sink.Dispose();
        }
    }

    private AuditSink[] CreateSinks(IServiceProvider services, PolicyAuditOptions audit)
    {
        var sinks = new List<AuditSink>();
        if (!string.IsNullOrWhiteSpace(audit.LedgerPath))
        {
            sinks.Add(SqliteAuditSink.Open(PolicyStoreHolder.ResolvePath(services, audit.LedgerPath)));
        }

        foreach (AuditSinkRegistration registration in services.GetServices<AuditSinkRegistration>())
        {
            sinks.Add(registration.Create(services) ?? throw new InvalidOperationException("An audit sink factory given to AddAuditSink returned null."));
        }

        _sinks = sinks.ToArray();
        return _sinks;
    }
}

/// <summary>Registered when rules come from configuration.</summary>
internal sealed class ConfiguredRulesMarker
{
}

/// <summary>The store the engine guards: from a registered factory, else the configured SQLite file or memory.</summary>
internal sealed class PolicyStoreHolder : IDisposable
{
    public PolicyStoreHolder(IServiceProvider services, IOptions<SochDbPolicyOptions> options)
    {
        PolicyStoreFactory? factory = services.GetService<PolicyStoreFactory>();
        PolicyStoreOptions store = options.Value.Store;
        Store = factory is not null
            ? factory.Create(services) ?? throw new InvalidOperationException("The store factory given to UseStore returned null.")
            : store.InMemory
                ? Database.OpenInMemory()
                : Database.Open(ResolvePath(services, store.Path!), new DatabaseOptions { Durability = store.Durability });
    }

    public IKeyValueStore Store { get; }

    public void Dispose() => Store.Dispose();

    /// <summary>A relative path is taken from the host's content root (where appsettings.json is), not the working directory.</summary>
    internal static string ResolvePath(IServiceProvider services, string path)
    {
        string? root = services.GetService<Microsoft.Extensions.Hosting.IHostEnvironment>()?.ContentRootPath;
        return root is null || System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(root, path);
    }
}

/// <summary>Resolves the engine when the host starts, so an invalid configuration stops the start instead of the first request.</summary>
internal sealed class PolicyEngineStartup : Microsoft.Extensions.Hosting.IHostedService
{
    private readonly IServiceProvider _services;

    public PolicyEngineStartup(IServiceProvider services) => _services = services;

    public System.Threading.Tasks.Task StartAsync(System.Threading.CancellationToken cancellationToken)
    {
        _services.GetRequiredService<PolicyEngine>();
        return System.Threading.Tasks.Task.CompletedTask;
    }

    public System.Threading.Tasks.Task StopAsync(System.Threading.CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;
}
