using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>Shadow mode from configuration (per rule, engine-wide, per compiled set), and atomic swaps on reload.</summary>
public sealed class ShadowAndSwapTests
{
    [Fact]
    public void AShadowRuleLetsTheOperationProceedAndRecordsWouldDeny()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "secrets/**", "Deny"), ("BeforeWrite", "pii/*", "Redact"))
            .With("Rules:0:Mode", "Shadow").With("Rules:0:Reason", "secrets move to the vault").With("Rules:1:Mode", "shadow"));
        PolicyEngine engine = host.Engine;

        engine.Put("secrets/k", "v");
        engine.Put("pii/k", "plain");

        Assert.Equal("v", Encoding.UTF8.GetString(host.Services.GetRequiredService<PolicyEngine>().Get("secrets/k")!));
        Assert.Equal("plain", Encoding.UTF8.GetString(engine.Get("pii/k")!)); // a shadow Modify is not applied
        AuditEntry wouldDeny = engine.Audit.Recent(operation: PolicyOperation.Write)[0];
        Assert.Equal(AuditResult.WouldDeny, wouldDeny.Result);
        Assert.Contains("secrets move to the vault", wouldDeny.Reason);
        Assert.Equal(EnforcementMode.Shadow, Assert.Single(host.Status.Rules, r => r.HandlerName == "config:BeforeWrite:secrets/**").Mode);
    }

    [Fact]
    public void AnUnknownModeIsRefused()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "a/*", "Deny")).With("Rules:0:Mode", "DryRun"));

        PolicyConfigurationException e = Assert.Throws<PolicyConfigurationException>(() => host.Engine);
        Assert.Contains("unknown mode \"DryRun\"", Assert.Single(e.Errors).Message);
    }

    [Fact]
    public void TheEngineWideModeComesFromConfiguration()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "a/*", "Deny")).With("Mode", "Shadow"));
        PolicyEngine engine = host.Engine;

        engine.Put("a/1", "v");

        Assert.Equal(AuditResult.WouldDeny, engine.Audit.Recent()[0].Result);
    }

    [Fact]
    public void ACompiledSetAddedInShadowRecordsWithoutEnforcing()
    {
        using var host = new PolicyHost(Config.Rules(), b => b.AddCompiledSet(new DenyEverythingSet(), EnforcementMode.Shadow));
        PolicyEngine engine = host.Engine;

        engine.Put("k", "v");

        Assert.Equal(AuditResult.WouldDeny, engine.Audit.Recent()[0].Result);
        Assert.Equal(EnforcementMode.Shadow, Assert.Single(engine.CompiledSets).Mode);
    }

    [Fact]
    public void ExplainAgreesWithTheConfiguredRules()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "secrets/**", "Deny"), ("BeforeWrite", "secrets/public/*", "Allow"))
            .With("Rules:0:Name", "no-secrets"));

        PolicyExplanation explanation = host.Engine.Explain(PolicyOperation.Write, "secrets/public/a", value: "v"u8.ToArray());

        Assert.Equal(AuditResult.Denied, explanation.Verdict);
        Assert.Equal("no-secrets", explanation.DecidingRule!.HandlerName);
        Assert.Equal(2, explanation.Rules.Count);
        Assert.True(host.Engine.Explain(PolicyOperation.Write, "other/a").NoRuleMatched);
    }

    [Fact]
    public async Task NoOperationSeesHalfOfAReloadedRuleSet()
    {
        Dictionary<string, string?> Set(string prefix) => Config.Rules(("BeforeWrite", "x/**", "Allow"), ("BeforeWrite", "x/*", "Allow"), ("BeforeWrite", "*/k", "Allow"))
            .With("Rules:0:Name", prefix + "1").With("Rules:1:Name", prefix + "2").With("Rules:2:Name", prefix + "3");
        using var host = new PolicyHost(Set("a"));
        PolicyEngine engine = host.Engine;
        Dictionary<string, string?> a = Set("a"), b = Set("b");
        using var done = new CancellationTokenSource();
        var seen = new HashSet<string>();

        Task reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                PolicyExplanation e = engine.Explain(PolicyOperation.Write, "x/k");
                seen.Add(string.Join(",", e.Rules.Select(r => r.Rule.HandlerName)));
            }
        });
        for (int i = 0; i < 300; i++)
        {
            host.Reload(i % 2 == 0 ? b : a);
        }

        done.Cancel();
        await reader;

        Assert.Equal(301, host.Status.AppliedCount);
        Assert.Subset(new HashSet<string> { "a1,a2,a3", "b1,b2,b3" }, seen);
    }

    [Fact]
    public void ExplainRecordsNoMetricForConfiguredRules()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "a/*", "Deny")));
        using var operations = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "SochDb.Policy", "sochdb.policy.decisions");
        PolicyEngine engine = host.Engine;

        engine.Explain(PolicyOperation.Write, "a/1");
        Assert.Empty(operations.GetMeasurementSnapshot());
        Assert.Throws<PolicyViolationException>(() => engine.Put("a/1", "v"));
        Assert.Single(operations.GetMeasurementSnapshot());
    }

    private sealed class DenyEverythingSet : CompiledPolicySet
    {
        public DenyEverythingSet()
            : base("DenyEverything", new[] { new PolicyRuleInfo(PolicyTrigger.BeforeWrite, "**", "DenyEverything.Deny") })
        {
        }

        public override void Evaluate(ref PolicyEvaluation evaluation)
        {
            if (evaluation.Trigger == PolicyTrigger.BeforeWrite)
            {
                evaluation.Enter(Rules[0]);
                evaluation.Apply(PolicyDecision.Deny("everything"));
            }
        }
    }
}
