using Microsoft.Extensions.Logging;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>Loading a configuration analyses the rules in force; findings are warnings in the status and the log, never refusals.</summary>
public sealed class ConfigurationAnalysisTests
{
    [Fact]
    public void A_configured_rule_behind_a_configured_deny_is_reported_and_still_applied()
    {
        using var host = new PolicyHost(Config.Rules(
            ("BeforeWrite", "secrets", "Deny"),
            ("BeforeWrite", "secrets/**", "Deny"),
            ("BeforeWrite", "secrets/*/owner", "RequireAgentId")));
        _ = host.Engine; // the configuration is applied when the engine is made

        PolicyFinding finding = Assert.Single(host.Status.Findings);
        Assert.Equal("SOCH0014", finding.Id);
        Assert.Equal("config:BeforeWrite:secrets/*/owner", finding.Rule.HandlerName);
        Assert.Equal("config:BeforeWrite:secrets/**", Assert.Single(finding.RelatedRules).HandlerName);
        Assert.Equal(1, host.Status.AppliedCount);

        var warning = Assert.Single(host.Logs.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Equal(1203, warning.Id.Id);
        Assert.Contains("SOCH0014", warning.Message);
        Assert.Contains("never runs", warning.Message);
    }

    [Fact]
    public void A_reload_replaces_the_findings()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeRead", "vault/**", "Deny"), ("AfterRead", "vault/*/ssn", "Redact")));
        _ = host.Engine;
        Assert.Contains(host.Status.Findings, f => f.Id == "SOCH0017");
        Assert.Contains(host.Status.Findings, f => f.Id == "SOCH0016");

        host.Reload(Config.Rules(("BeforeRead", "vault/*", "RequireAgentId"), ("AfterRead", "vault/*/ssn", "Redact")));

        Assert.Empty(host.Status.Findings);
    }
}
