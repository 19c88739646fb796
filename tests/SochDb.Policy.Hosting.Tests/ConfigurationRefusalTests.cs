namespace SochDb.Policy.Hosting.Tests;

/// <summary>Bad configurations are refused whole at start-up, with an error naming the entry (and the pattern position).</summary>
public sealed class ConfigurationRefusalTests
{
    private static PolicyConfigurationException Refusal(Dictionary<string, string?> configuration)
    {
        using var host = new PolicyHost(configuration);
        return Assert.Throws<PolicyConfigurationException>(() => host.Engine);
    }

    [Fact]
    public void AnInvalidGlobIsRefusedWithItsEntryAndPosition()
    {
        PolicyConfigurationException e = Refusal(Config.Rules(("BeforeWrite", "ok/*", "Deny"), ("BeforeWrite", "users/[abc", "Deny")));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("SochDbPolicy:Rules:1", error.Entry);
        Assert.Equal("Pattern", error.Field);
        Assert.Equal(6, error.PatternPosition);
        Assert.Contains("users/[abc", e.Message);
        Assert.Contains("position 6", e.Message);
    }

    [Fact]
    public void AnUnknownActionIsRefusedNamingTheRule()
    {
        PolicyConfigurationException e = Refusal(Config.Rules(("BeforeWrite", "a/*", "Deny")).With("Rules:0:Action", "Forbid").With("Rules:0:Name", "no-a"));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("SochDbPolicy:Rules:0 (\"no-a\")", error.Entry);
        Assert.Equal("Action", error.Field);
        Assert.Contains("unknown action \"Forbid\"", error.Message);
    }

    [Theory]
    [InlineData("BeforeSave", "unknown trigger \"BeforeSave\"")]
    [InlineData("AfterWrite", "cannot decide")]
    [InlineData(null, "the trigger is missing")]
    public void ABadTriggerIsRefused(string? trigger, string expected)
    {
        PolicyConfigurationException e = Refusal(Config.Rules(("BeforeWrite", "a/*", "Deny")).With("Rules:0:Trigger", trigger));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("Trigger", error.Field);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ADuplicateRuleIsRefusedNamingBothEntries()
    {
        PolicyConfigurationException e = Refusal(Config.Rules(("BeforeWrite", "a/*", "Deny"), ("BeforeWrite", "a/*", "Allow")));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("SochDbPolicy:Rules:1", error.Entry);
        Assert.Contains("duplicate rule: SochDbPolicy:Rules:0", error.Message);
    }

    [Fact]
    public void ADuplicateRuleNameIsRefused()
    {
        PolicyConfigurationException e = Refusal(Config.Rules(("BeforeWrite", "a/*", "Deny"), ("BeforeRead", "b/*", "Deny"))
            .With("Rules:0:Name", "same").With("Rules:1:Name", "same"));

        Assert.Contains("duplicate rule name \"same\"", Assert.Single(e.Errors).Message);
    }

    [Theory]
    [InlineData("0", "maxPerMinute must be at least 1")]
    [InlineData("-5", "maxPerMinute must be at least 1")]
    [InlineData("ten", "\"ten\" is not a whole number")]
    [InlineData(null, "maxPerMinute is missing")]
    public void ABadRateLimitIsRefused(string? maxPerMinute, string expected)
    {
        PolicyConfigurationException e = Refusal(Config.Rules()
            .With("RateLimits:0:Operation", "Write").With("RateLimits:0:MaxPerMinute", maxPerMinute));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("SochDbPolicy:RateLimits:0", error.Entry);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AnUnknownScopeIsRefused()
    {
        PolicyConfigurationException e = Refusal(Config.Rules()
            .With("RateLimits:0:Operation", "Write").With("RateLimits:0:MaxPerMinute", "10").With("RateLimits:0:Scope", "agentid"));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("Scope", error.Field);
        Assert.Contains("unknown scope \"agentid\"", error.Message);
    }

    [Fact]
    public void ADuplicateRateLimitIsRefused()
    {
        PolicyConfigurationException e = Refusal(Config.Rules()
            .With("RateLimits:0:Operation", "Write").With("RateLimits:0:MaxPerMinute", "10")
            .With("RateLimits:1:Operation", "write").With("RateLimits:1:MaxPerMinute", "20").With("RateLimits:1:Scope", "global"));

        Assert.Contains("duplicate rate limit", Assert.Single(e.Errors).Message);
    }

    [Fact]
    public void RedactOnATriggerThatCannotModifyIsRefused()
    {
        PolicyConfigurationException e = Refusal(Config.Rules(("BeforeRead", "a/*", "Redact")));

        Assert.Contains("Redact replaces a value", Assert.Single(e.Errors).Message);
    }

    [Fact]
    public void AMissingSectionIsRefused()
    {
        using var host = new PolicyHost(new Dictionary<string, string?>(), b => b.UseStore(_ => Database.OpenInMemory()));
        host.Configuration.Replace(new Dictionary<string, string?>(), raise: false);

        PolicyConfigurationException e = Assert.Throws<PolicyConfigurationException>(() => host.Engine);

        Assert.Contains("section is missing", Assert.Single(e.Errors).Message);
        Assert.Equal("SochDbPolicy", e.Errors[0].Entry);
    }

    [Fact]
    public void EveryErrorOfAConfigurationIsReportedAtOnce()
    {
        PolicyConfigurationException e = Refusal(Config.Rules(("BeforeWrite", "a/**b", "Deny"), ("Before", "b/*", "Nope"))
            .With("RateLimits:0:Operation", "Everything").With("RateLimits:0:MaxPerMinute", "0"));

        Assert.Equal(
            new[] { "SochDbPolicy:Rules:0.Pattern", "SochDbPolicy:Rules:1.Trigger", "SochDbPolicy:Rules:1.Action", "SochDbPolicy:RateLimits:0.Operation", "SochDbPolicy:RateLimits:0.MaxPerMinute" },
            e.Errors.Select(x => $"{x.Entry}.{x.Field}"));
    }
}

/// <summary>The RequireApproval action from configuration.</summary>
public sealed class ApprovalActionTests
{
    [Fact]
    public void AConfiguredApprovalRequirementStopsTheOperationUntilApproved()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeDelete", "memory/**", "RequireApproval")).With("Rules:0:Reason", "a person deletes memory"));
        PolicyEngine engine = host.Engine;
        engine.Put("memory/a", "v");

        var e = Refusals.ApprovalRequired(() => engine.Delete("memory/a"));
        Assert.Contains("a person deletes memory", e.Message);
        Assert.NotNull(engine.Get("memory/a"));
    }

    [Fact]
    public void RequireApprovalOnAnAfterTriggerIsRefused()
    {
        using var host = new PolicyHost(Config.Rules(("AfterRead", "memory/**", "RequireApproval")));

        PolicyConfigurationException e = Assert.Throws<PolicyConfigurationException>(() => host.Engine);
        Assert.Contains("RequireApproval stops an operation before it runs", Assert.Single(e.Errors).Message);
    }
}
