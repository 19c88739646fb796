using Microsoft.Extensions.Configuration;
using SochDb.Policy;
using SochDb.Policy.Testing;

namespace SochDb.Policy.Testing.Tests;

/// <summary>The test kit used the way an application's test suite uses it.</summary>
public sealed class TestKitTests : IDisposable
{
    private static readonly PolicyContext Agent = new() { AgentId = "agent-7" };

    private readonly PolicyTestHost _policies = new(MemoryPolicies.Compiled);

    public void Dispose() => _policies.Dispose();

    [Fact]
    public void Agents_cannot_write_system_keys_but_the_host_can()
    {
        _policies.AssertDenied(PolicyOperation.Write, "system/config", Agent, value: "x", byRule: "system/*");
        _policies.AssertAllowed(PolicyOperation.Write, "system/config", value: "x");
    }

    [Fact]
    public void Emails_are_redacted_for_callers_asking_for_it()
    {
        _policies.Seed("users/42/email", "a@example.com");

        _policies.AssertRedacted(PolicyOperation.Read, "users/42/email", "[REDACTED]", PolicyContext.Empty.With("redact_pii", "1"));
        _policies.AssertAllowed(PolicyOperation.Read, "users/42/email");
    }

    [Fact]
    public void Writes_are_rate_limited_per_agent_and_refill_with_time()
    {
        for (int i = 0; i < 3; i++)
        {
            _policies.Engine.Put("notes/n", "v", Agent);
        }

        PolicyExplanation limited = _policies.AssertRateLimited(PolicyOperation.Write, "notes/n", Agent);
        Assert.Equal(TimeSpan.FromSeconds(20), Assert.Single(limited.Limits).RetryAfter);
        _policies.AssertAllowed(PolicyOperation.Write, "notes/n", new PolicyContext { AgentId = "agent-8" }, "v");

        _policies.AdvanceTime(TimeSpan.FromSeconds(20));
        _policies.AssertAllowed(PolicyOperation.Write, "notes/n", Agent, "v");
    }

    [Fact]
    public void Asserting_changes_nothing()
    {
        _policies.AssertAllowed(PolicyOperation.Write, "notes/a", Agent, "v");
        _policies.AssertDenied(PolicyOperation.Write, "system/a", Agent, "v");

        Assert.Null(_policies.Store.Get("notes/a"));
        Assert.Empty(_policies.Engine.GetAuditLog());
        for (int i = 0; i < 3; i++)
        {
            _policies.Engine.Put("notes/a", "v", Agent); // all three tokens are still there
        }
    }

    [Fact]
    public void A_failed_denial_assertion_says_what_happened_instead()
    {
        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(
            () => _policies.AssertDenied(PolicyOperation.Write, "notes/a", Agent, "v"));

        Assert.StartsWith("Expected Write of \"notes/a\" to be denied, but it would be allowed: no rule matched.", e.Message);
        Assert.Equal(AuditResult.Allowed, e.Explanation!.Verdict);
    }

    [Fact]
    public void A_failed_allow_assertion_names_the_rule_and_its_reason()
    {
        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(
            () => _policies.AssertAllowed(PolicyOperation.Write, "system/a", Agent, "v"));

        Assert.Contains("but it would be Denied by", e.Message);
        Assert.Contains("BlockAgentsFromSystem", e.Message);
        Assert.Contains("because \"agents may not write system keys\"", e.Message);
    }

    [Fact]
    public void A_denial_by_another_rule_than_expected_fails()
    {
        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(
            () => _policies.AssertDenied(PolicyOperation.Write, "system/a", Agent, "v", byRule: "secrets/**"));

        Assert.Contains("to be denied by rule \"secrets/**\", but it is denied by", e.Message);
    }

    [Fact]
    public void A_wrong_redaction_fails_with_the_actual_value()
    {
        _policies.Seed("users/1/email", "a@example.com");

        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(() =>
            _policies.AssertRedacted(PolicyOperation.Read, "users/1/email", "***", PolicyContext.Empty.With("redact_pii", "1")));

        Assert.Contains("makes it \"[REDACTED]\"", e.Message);
    }

    [Fact]
    public void A_rate_limit_assertion_fails_while_tokens_remain()
    {
        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(
            () => _policies.AssertRateLimited(PolicyOperation.Write, "notes/a", Agent));

        Assert.Contains("to be rate limited, but it would be allowed", e.Message);
    }

    [Fact]
    public void Run_time_rules_are_tested_the_same_way()
    {
        _policies.Engine.BeforeDelete("archive/**", Policies.DenyAll, name: "keep-archive");

        _policies.AssertDenied(PolicyOperation.Delete, "archive/2025/q1", byRule: "keep-archive");
        _policies.AssertAllowed(PolicyOperation.Delete, "scratch/x");
    }

    [Fact]
    public void Rules_from_an_appsettings_file_are_tested_without_a_host()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("policy.json")
            .Build();
        using PolicyTestHost policies = PolicyTestHost.FromConfiguration(configuration.GetSection("SochDbPolicy"), MemoryPolicies.Compiled);
        var session = new PolicyContext { SessionId = "s1" };
        policies.Seed("tokens/github", "ghp_secret");

        policies.AssertDenied(PolicyOperation.Write, "secrets/db", value: "x", byRule: "no-secret-writes");
        policies.AssertRedacted(PolicyOperation.Read, "tokens/github", "***", session);
        policies.AssertWouldDeny(PolicyOperation.Delete, "notes/a", byRule: "try-agent-ids");
        policies.AssertDenied(PolicyOperation.Write, "system/x", Agent, "v"); // the compiled set still runs first

        policies.Engine.Get("tokens/github", session);
        policies.Engine.Get("tokens/github", session);
        policies.AssertRateLimited(PolicyOperation.Read, "tokens/github", session);
        policies.AdvanceTime(TimeSpan.FromSeconds(30));
        policies.AssertRedacted(PolicyOperation.Read, "tokens/github", "***", session);
    }
}
