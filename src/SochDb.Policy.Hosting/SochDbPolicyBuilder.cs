using System;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Hosting;

/// <summary>Adds compiled sets, rate limits, a custom store and code-registered rules to the engine <c>AddSochDbPolicy</c> registers.</summary>
public sealed class SochDbPolicyBuilder
{
    internal SochDbPolicyBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Runs <paramref name="set"/> (a generated <c>Compiled</c> property), in the order sets are added, before configured rules.</summary>
    /// <param name="set">The compiled set.</param>
    /// <param name="mode"><see cref="EnforcementMode.Shadow"/> to record the set's verdicts without enforcing them.</param>
    /// <exception cref="ArgumentNullException"><paramref name="set"/> is null.</exception>
    public SochDbPolicyBuilder AddCompiledSet(CompiledPolicySet set, EnforcementMode mode = EnforcementMode.Enforce)
    {
        ArgumentNullException.ThrowIfNull(set);
        CompiledPolicySet registered = mode == EnforcementMode.Enforce ? set : set.WithMode(mode);
        Services.AddSingleton(new CompiledSetRegistration(registered));
        return this;
    }

    /// <summary>Adds a rate limit fixed in code (configured limits reload; this one does not).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="limit"/> is null.</exception>
    public SochDbPolicyBuilder AddRateLimit(RateLimitRule limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        Services.AddSingleton(new CodeRateLimitRegistration(limit));
        return this;
    }

    /// <summary>Registers rules in code once the engine exists (they run after configured rules, in registration order).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is null.</exception>
    public SochDbPolicyBuilder ConfigureEngine(Action<PolicyEngine, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.AddSingleton(new EngineConfiguration(configure));
        return this;
    }

    /// <summary>
    /// Sends every audit entry to the sink <paramref name="factory"/> creates (an exporter, a ledger of your own) besides
    /// the in-memory ring. The sink is created with the engine and disposed after it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is null.</exception>
    public SochDbPolicyBuilder AddAuditSink(Func<IServiceProvider, AuditSink> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(new AuditSinkRegistration(factory));
        return this;
    }

    /// <summary>Guards a store of your own instead of the SQLite file named in configuration. The container disposes it.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is null.</exception>
    public SochDbPolicyBuilder UseStore(Func<IServiceProvider, IKeyValueStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAll<PolicyStoreFactory>();
        Services.AddSingleton(new PolicyStoreFactory(factory));
        return this;
    }
}

internal sealed record CompiledSetRegistration(CompiledPolicySet Set);

internal sealed record CodeRateLimitRegistration(RateLimitRule Limit);

internal sealed record EngineConfiguration(Action<PolicyEngine, IServiceProvider> Configure);

internal sealed record AuditSinkRegistration(Func<IServiceProvider, AuditSink> Create);

internal sealed record PolicyStoreFactory(Func<IServiceProvider, IKeyValueStore> Create);
