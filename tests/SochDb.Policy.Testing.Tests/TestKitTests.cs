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
    public void AgentsCannotWriteSystemKeysButTheHostCan()
    {
        _policies.AssertDenied(PolicyOperation.Write, "system/config", Agent, value: "x", byRule: "system/*");
        _policies.AssertAllowed(PolicyOperation.Write, "system/config", value: "x");
    }

    [Fact]
    public void EmailsAreRedactedForCallersAskingForIt()
    {
        _policies.Seed("users/42/email", "a@example.com");

        _policies.AssertRedacted(PolicyOperation.Read, "users/42/email", "[REDACTED]", PolicyContext.Empty.With("redact_pii", "1"));
        _policies.AssertAllowed(PolicyOperation.Read, "users/42/email");
    }

    [Fact]
    public void WritesAreRateLimitedPerAgentAndRefillWithTime()
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
    public void AssertingChangesNothing()
    {
        _policies.AssertAllowed(PolicyOperation.Write, "notes/a", Agent, "v");
        _policies.AssertDenied(PolicyOperation.Write, "system/a", Agent, "v");

        Assert.Null(_policies.Store.Get("notes/a"));
        Assert.Empty(_policies.Engine.Audit.Recent());
        for (int i = 0; i < 3; i++)
        {
            _policies.Engine.Put("notes/a", "v", Agent); // all three tokens are still there
        }
    }

    [Fact]
    public void AFailedDenialAssertionSaysWhatHappenedInstead()
    {
        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(
            () => _policies.AssertDenied(PolicyOperation.Write, "notes/a", Agent, "v"));

        Assert.StartsWith("Expected Write of \"notes/a\" to be denied, but it would be allowed: no rule matched.", e.Message);
        Assert.Equal(AuditResult.Allowed, e.Explanation!.Verdict);
    }

    [Fact]
    public void AFailedAllowAssertionNamesTheRuleAndItsReason()
    {
        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(
            () => _policies.AssertAllowed(PolicyOperation.Write, "system/a", Agent, "v"));

        Assert.Contains("but it would be Denied by", e.Message);
        Assert.Contains("BlockAgentsFromSystem", e.Message);
        Assert.Contains("because \"agents may not write system keys\"", e.Message);
    }

    [Fact]
    public void ADenialByAnotherRuleThanExpectedFails()
    {
        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(
            () => _policies.AssertDenied(PolicyOperation.Write, "system/a", Agent, "v", byRule: "secrets/**"));

        Assert.Contains("to be denied by rule \"secrets/**\", but it is denied by", e.Message);
    }

    [Fact]
    public void AWrongRedactionFailsWithTheActualValue()
    {
        _policies.Seed("users/1/email", "a@example.com");

        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(() =>
            _policies.AssertRedacted(PolicyOperation.Read, "users/1/email", "***", PolicyContext.Empty.With("redact_pii", "1")));

        Assert.Contains("makes it \"[REDACTED]\"", e.Message);
    }

    [Fact]
    public void ARateLimitAssertionFailsWhileTokensRemain()
    {
        PolicyAssertionException e = Assert.Throws<PolicyAssertionException>(
            () => _policies.AssertRateLimited(PolicyOperation.Write, "notes/a", Agent));

        Assert.Contains("to be rate limited, but it would be allowed", e.Message);
    }

    [Fact]
    public void RunTimeRulesAreTestedTheSameWay()
    {
        _policies.Engine.BeforeDelete("archive/**", Policies.DenyAll, name: "keep-archive");

        _policies.AssertDenied(PolicyOperation.Delete, "archive/2025/q1", byRule: "keep-archive");
        _policies.AssertAllowed(PolicyOperation.Delete, "scratch/x");
    }

    [Fact]
    public void RulesFromAnAppsettingsFileAreTestedWithoutAHost()
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
