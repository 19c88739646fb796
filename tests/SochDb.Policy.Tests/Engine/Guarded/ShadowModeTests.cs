using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>Shadow mode, per rule, per compiled set and per engine: verdicts recorded, not applied.</summary>
public sealed class ShadowModeTests
{
    [Fact]
    public void Shadow_ADenyIsRecordedAsWouldDeny_AndTheOperationProceeds()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("system/*", (in PolicyRequest _) => PolicyDecision.Deny("system is frozen"), "Guards.Freeze", EnforcementMode.Shadow);

        kit.Engine.Put("system/config", "{}", Agent("a1"));

        Assert.Equal("{}", kit.Stored("system/config"));
        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.WouldDeny, entry.Result);
        Assert.Contains("Guards.Freeze", entry.Rule);
        Assert.Contains("system is frozen", entry.Reason);
    }

    [Fact]
    public void Shadow_AModifyIsRecorded_NotApplied()
    {
        using var kit = new GuardedKit();
        kit.Engine.AfterRead("users/*/email", Policies.RedactValue("[R]"), "Guards.Redact", EnforcementMode.Shadow);
        kit.Store.Inner.Put("users/a/email", "a@example.com");

        Assert.Equal("a@example.com", Text(kit.Engine.Get("users/a/email")));

        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Allowed, entry.Result);
        Assert.Contains("would modify", entry.Reason);
    }

    [Fact]
    public void Shadow_AThrowingShadowHandlerIsAWouldDeny_AndLaterEnforcedRulesStillRun()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("docs/*", (in PolicyRequest _) => throw new InvalidOperationException("buggy new rule"), "New", EnforcementMode.Shadow);
        kit.Engine.BeforeWrite("docs/secret", Policies.DenyAll, "Old");

        kit.Engine.Put("docs/a", "1");
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("docs/secret", "1"));

        Assert.Equal("1", kit.Stored("docs/a"));
        Assert.Null(kit.Stored("docs/secret"));
        Assert.Equal(new[] { AuditResult.WouldDeny, AuditResult.Denied }, kit.Audit().Select(e => e.Result));
        Assert.Contains("threw InvalidOperationException", kit.Audit()[0].Reason);
        Assert.DoesNotContain("buggy new rule", kit.Audit()[0].Reason); // the type, never the message
    }

    [Fact]
    public void Shadow_AnEnforcedDenyStillDenies_EvenAfterAShadowDeny()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeDelete("**", Policies.DenyAll, "Trial", EnforcementMode.Shadow);
        kit.Engine.BeforeDelete("audit/**", Policies.DenyAll, "Enforced");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("audit/x"));

        Assert.Equal("Enforced", refused.HandlerName);
    }

    [Fact]
    public void Shadow_ACompiledSetInShadow_RecordsAndDoesNotApply()
    {
        using var kit = new GuardedKit(null, HandWrittenPolicySet.Create().WithMode(EnforcementMode.Shadow));

        kit.Engine.Put("system/config", "{}", Agent("agent_1")); // the set denies system writes by agents

        Assert.Equal("{}", kit.Stored("system/config"));
        Assert.Equal(AuditResult.WouldDeny, Assert.Single(kit.Audit()).Result);
    }

    [Fact]
    public void Shadow_TheWholeEngineInShadow_NoRuleChangesAnOperation_ButLimitsStillApply()
    {
        using var kit = new GuardedKit(new PolicyEngineOptions { Mode = EnforcementMode.Shadow });
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll);
        kit.Engine.AddRateLimit(PolicyOperation.Write, 1);

        kit.Engine.Put("system/config", "{}");
        Refusals.RateLimited(() => kit.Engine.Put("system/other", "{}"));

        Assert.Equal("{}", kit.Stored("system/config"));
        Assert.Equal(new[] { AuditResult.WouldDeny, AuditResult.RateLimited }, kit.Audit().Select(e => e.Result));
    }

    [Fact]
    public void Shadow_InABatchAndAScan_EachItemIsRecorded()
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("docs/b", Policies.DenyAll, "Trial", EnforcementMode.Shadow);
        kit.Engine.BeforeRead("docs/a", Policies.DenyAll, "TrialRead", EnforcementMode.Shadow);

        kit.Engine.Write(new WriteBatch().Put("docs/a", "1").Put("docs/b", "2"));
        var scanned = kit.Engine.Scan("docs/").Select(kv => Text(kv.Key)).ToList();

        Assert.Equal(new[] { "docs/a", "docs/b" }, scanned);
        Assert.Equal(new[] { AuditResult.Allowed, AuditResult.WouldDeny, AuditResult.WouldDeny, AuditResult.Allowed },
            kit.Audit().Select(e => e.Result));
    }
}
