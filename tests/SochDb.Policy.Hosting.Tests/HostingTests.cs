using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>AddSochDbPolicy: the store, the engine, compiled sets, limits, clock and meter from the container, validation at start.</summary>
public sealed class HostingTests
{
    [Fact]
    public void Configured_rules_guard_the_registered_engine()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "secrets/**", "Deny"), ("AfterRead", "pii/*", "Redact"))
            .With("Rules:0:Reason", "secrets are read-only").With("Rules:1:Replacement", "***"));
        PolicyEngine engine = host.Engine;

        PolicyViolationException denied = Assert.Throws<PolicyViolationException>(() => engine.Put("secrets/k", "v"));
        Assert.Contains("secrets are read-only", denied.Message);
        engine.Put("pii/email", "a@b.c");
        Assert.Equal("***", Encoding.UTF8.GetString(engine.Get("pii/email")!));
        Assert.Same(engine, host.Services.GetRequiredService<PolicyEngine>());
        Assert.Equal(new[] { "config:BeforeWrite:secrets/**", "config:AfterRead:pii/*" }, host.Status.Rules.Select(r => r.HandlerName));
    }

    [Fact]
    public void RequireAgentId_and_Allow_actions_behave_as_named()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "agents/**", "RequireAgentId"), ("BeforeRead", "agents/**", "Allow")));
        PolicyEngine engine = host.Engine;

        Assert.Throws<PolicyViolationException>(() => engine.Put("agents/x", "v"));
        engine.Put("agents/x", "v", new PolicyContext { AgentId = "a1" });
        Assert.Equal("v", Encoding.UTF8.GetString(engine.Get("agents/x")!));
    }

    [Fact]
    public void Configured_rate_limits_run_on_the_container_clock()
    {
        using var host = new PolicyHost(Config.Rules()
            .With("RateLimits:0:Operation", "Write").With("RateLimits:0:MaxPerMinute", "2").With("RateLimits:0:Scope", "agent_id"));
        PolicyEngine engine = host.Engine;
        var agent = new PolicyContext { AgentId = "a1" };

        engine.Put("k", "1", agent);
        engine.Put("k", "2", agent);
        PolicyViolationException limited = Refusals.RateLimited(() => engine.Put("k", "3", agent));
        Assert.Equal(("agent_id", "a1"), (limited.RateLimit!.Scope, limited.ScopeValue));
        engine.Put("k", "other agent", new PolicyContext { AgentId = "a2" });

        host.Clock.Advance(TimeSpan.FromSeconds(30)); // one token back at 2 a minute
        engine.Put("k", "4", agent);
        Refusals.RateLimited(() => engine.Put("k", "5", agent));
    }

    [Fact]
    public void A_custom_context_item_scope_is_written_item_colon_name()
    {
        using var host = new PolicyHost(Config.Rules()
            .With("RateLimits:0:Operation", "All").With("RateLimits:0:MaxPerMinute", "1").With("RateLimits:0:Scope", "item:tenant"));
        PolicyEngine engine = host.Engine;

        Assert.Equal("item:tenant", Assert.Single(host.Status.RateLimits).Scope);
        engine.Put("k", "1", PolicyContext.Empty.With("tenant", "t1"));
        Refusals.RateLimited(() => engine.Put("k", "2", PolicyContext.Empty.With("tenant", "t1")));
        engine.Put("k", "3", PolicyContext.Empty.With("tenant", "t2"));
    }

    [Fact]
    public void Compiled_sets_code_limits_and_code_rules_come_from_the_builder()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "config/*", "Deny")), builder => builder
            .AddCompiledSet(new DenyPrefixSet("compiled/"))
            .AddRateLimit(new RateLimitRule(PolicyOperation.Delete, 1))
            .ConfigureEngine((engine, _) => engine.BeforeWrite("code/*", Policies.DenyAll)));
        PolicyEngine engine = host.Engine;

        Assert.Single(engine.CompiledSets);
        Assert.Equal("compiled", Assert.Throws<PolicyViolationException>(() => engine.Put("compiled/x", "v")).Reason);
        Assert.Throws<PolicyViolationException>(() => engine.Put("config/x", "v"));
        Assert.Throws<PolicyViolationException>(() => engine.Put("code/x", "v"));
        engine.Delete("free");
        Refusals.RateLimited(() => engine.Delete("free"));
    }

    [Fact]
    public void The_default_store_is_the_sqlite_file_named_in_configuration()
    {
        string dir = Directory.CreateTempSubdirectory("sochdb-hosting-").FullName;
        try
        {
            string path = Path.Combine(dir, "policy.db");
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SochDbPolicy:Store:Path"] = path,
                ["SochDbPolicy:Store:Durability"] = "Normal",
                ["SochDbPolicy:Rules"] = "",
            }).Build();
            var services = new ServiceCollection();
            services.AddSochDbPolicy(config.GetSection("SochDbPolicy"));
            using (ServiceProvider sp = services.BuildServiceProvider())
            {
                sp.GetRequiredService<PolicyEngine>().Put("k", "durable");
            }

            using Database reopened = Database.Open(path);
            Assert.Equal("durable", Encoding.UTF8.GetString(reopened.Get("k")!));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Start_up_fails_when_no_store_is_named()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["SochDbPolicy:Mode"] = "Enforce" });
        builder.Services.AddSochDbPolicy(builder.Configuration.GetSection("SochDbPolicy"));
        using IHost app = builder.Build();

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("SochDbPolicy:Store:Path is required", e.Message);
    }

    [Fact]
    public async Task Start_up_fails_on_out_of_range_options()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SochDbPolicy:Store:InMemory"] = "true",
            ["SochDbPolicy:Audit:MaxEntries"] = "0",
        });
        builder.Services.AddSochDbPolicy(builder.Configuration.GetSection("SochDbPolicy"));
        using IHost app = builder.Build();

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("MaxEntries", e.Message);
    }

    [Fact]
    public async Task Start_up_fails_on_an_invalid_rule_set()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SochDbPolicy:Store:InMemory"] = "true",
            ["SochDbPolicy:Rules:0:Trigger"] = "BeforeWrite",
            ["SochDbPolicy:Rules:0:Pattern"] = "a/**b",
            ["SochDbPolicy:Rules:0:Action"] = "Deny",
        });
        builder.Services.AddSochDbPolicy(builder.Configuration.GetSection("SochDbPolicy"));
        using IHost app = builder.Build();

        PolicyConfigurationException e = await Assert.ThrowsAsync<PolicyConfigurationException>(() => app.StartAsync());
        Assert.Equal("SochDbPolicy:Rules:0", Assert.Single(e.Errors).Entry);
    }

    [Fact]
    public void Code_only_registration_needs_no_configuration()
    {
        var services = new ServiceCollection();
        services.AddSochDbPolicy(o => o.Store.InMemory = true)
            .ConfigureEngine((engine, _) => engine.BeforeDelete("**", Policies.DenyAll));
        using ServiceProvider sp = services.BuildServiceProvider();

        PolicyEngine engine = sp.GetRequiredService<PolicyEngine>();
        Assert.Throws<PolicyViolationException>(() => engine.Delete("k"));
        Assert.True(engine.Audit.IsEnabled);
    }

    [Fact]
    public void Refusals_and_applications_are_counted_on_the_policy_meter()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "a/*", "Deny")));
        var meters = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var refused = new MetricCollector<long>(meters, "SochDb.Policy", "sochdb.policy.configuration.refused");
        using var applied = new MetricCollector<long>(meters, "SochDb.Policy", "sochdb.policy.configuration.applied");
        _ = host.Engine;

        host.Reload(Config.Rules(("BeforeWrite", "a/[", "Deny")));
        host.Reload(Config.Rules(("BeforeWrite", "b/*", "Deny")));

        Assert.Equal(1, refused.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(2, applied.GetMeasurementSnapshot().EvaluateAsCounter());
    }

    /// <summary>A hand-written compiled set denying writes under a prefix.</summary>
    private sealed class DenyPrefixSet : CompiledPolicySet
    {
        private readonly string _prefix;

        public DenyPrefixSet(string prefix)
            : base("DenyPrefix", new[] { new PolicyRuleInfo(PolicyTrigger.BeforeWrite, prefix + "**", "DenyPrefix.Deny") }) => _prefix = prefix;

        public override void Evaluate(ref PolicyEvaluation evaluation)
        {
            if (evaluation.Trigger == PolicyTrigger.BeforeWrite && evaluation.Key.StartsWith(Encoding.UTF8.GetBytes(_prefix)))
            {
                evaluation.Enter(Rules[0]);
                evaluation.Apply(PolicyDecision.Deny("compiled"));
            }
        }
    }
}
