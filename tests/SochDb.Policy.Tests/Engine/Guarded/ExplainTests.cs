using CsCheck;
using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>Explain says what an operation would get, and why, and changes nothing.</summary>
public sealed class ExplainTests
{
    private static void Install(PolicyEngine engine)
    {
        engine.BeforeWrite("system/*", (in PolicyRequest r) => r.Context.AgentId is null ? PolicyAction.Allow : PolicyDecision.Deny("agents may not"), "Guards.System");
        engine.BeforeWrite("**", Policies.AllowAll, "Guards.Any");
        engine.AfterRead("users/*/email", Policies.RedactValue("[R]"), "Guards.Redact");
        engine.BeforeRead("secrets/**", Policies.DenyAll, "Guards.Secrets");
        engine.BeforeRead("secrets/**", Policies.AllowAll, "Guards.After");
        engine.BeforeDelete("docs/*", Policies.DenyAll, "Guards.Trial", EnforcementMode.Shadow);
        engine.AddRateLimit(PolicyOperation.Write, 3, "agent_id");
    }

    [Fact]
    public void Explain_ADenial_NamesTheDecidingRule_AndListsEveryMatchingRuleWithItsOwnVerdict()
    {
        using var kit = new GuardedKit();
        Install(kit.Engine);

        PolicyExplanation why = kit.Engine.Explain(PolicyOperation.Write, "system/config", Agent("a1"), Bytes("{}"));

        Assert.Equal(AuditResult.Denied, why.Verdict);
        Assert.Equal("Guards.System", why.DecidingRule!.HandlerName);
        Assert.Equal("agents may not", why.Reason);
        Assert.False(why.NoRuleMatched);
        Assert.Equal(new[] { ("Guards.System", AuditResult.Denied, true), ("Guards.Any", AuditResult.Allowed, false) },
            why.Rules.Select(r => (r.Rule.HandlerName, r.Outcome, r.Reached)));
        LimitExplanation limit = Assert.Single(why.Limits);
        Assert.Equal(3, limit.TokensLeft);
        Assert.Equal("a1", limit.ScopeValue);
    }

    [Fact]
    public void Explain_NoRuleMatched_IsDistinctFromAllowedByARule()
    {
        using var kit = new GuardedKit();
        Install(kit.Engine);

        PolicyExplanation none = kit.Engine.Explain(PolicyOperation.Read, "plain/key");
        PolicyExplanation byRule = kit.Engine.Explain(PolicyOperation.Write, "plain/key");

        Assert.Equal(AuditResult.Allowed, none.Verdict);
        Assert.True(none.NoRuleMatched);
        Assert.Equal(AuditResult.Allowed, byRule.Verdict);
        Assert.False(byRule.NoRuleMatched);
    }

    [Fact]
    public void Explain_ARedactedRead_ShowsTheModifiedValue_AndAShadowRuleShowsWouldDeny()
    {
        using var kit = new GuardedKit();
        Install(kit.Engine);
        kit.Store.Inner.Put("users/a/email", "a@example.com");

        PolicyExplanation read = kit.Engine.Explain(PolicyOperation.Read, "users/a/email");
        PolicyExplanation delete = kit.Engine.Explain(PolicyOperation.Delete, "docs/x");

        Assert.Equal(AuditResult.Modified, read.Verdict);
        Assert.Equal("[R]", Text(read.ResultingValue));
        Assert.Equal("Guards.Redact", read.DecidingRule!.HandlerName);
        Assert.Equal(AuditResult.WouldDeny, delete.Verdict);
        Assert.True(Assert.Single(delete.Rules).Shadow);
    }

    [Fact]
    public void Explain_WithNoTokenLeft_SaysRateLimited_WithRetryAfter()
    {
        using var kit = new GuardedKit();
        Install(kit.Engine);
        for (int i = 0; i < 3; i++)
        {
            kit.Engine.Put("k", "v", Agent("a1"));
        }

        PolicyExplanation why = kit.Engine.Explain(PolicyOperation.Write, "k", Agent("a1"));

        Assert.Equal(AuditResult.RateLimited, why.Verdict);
        Assert.Equal(0, why.Limits[0].TokensLeft);
        Assert.Equal(TimeSpan.FromSeconds(20), why.Limits[0].RetryAfter);
    }

    [Fact]
    public void Explain_ChangesNothing_StoreTokensAuditAndMetricsAreAsBefore()
    {
        using var kit = new GuardedKit();
        Install(kit.Engine);
        kit.Engine.Put("users/a/email", "a@example.com", Agent("a1"));
        string[] store = kit.Snapshot();
        int audit = kit.Audit().Count;
        int calls = kit.Store.Calls;

        for (int i = 0; i < 10; i++)
        {
            kit.Engine.Explain(PolicyOperation.Write, "users/a/email", Agent("a1"), Bytes("new"));
            kit.Engine.Explain(PolicyOperation.Delete, "users/a/email", Agent("a1"));
        }

        Assert.Equal(store, kit.Snapshot());
        Assert.Equal(audit, kit.Audit().Count);
        Assert.Equal(calls, kit.Store.Calls);
        // Two write tokens are still there (3 - 1): Explain spent none.
        kit.Engine.Put("x", "1", Agent("a1"));
        kit.Engine.Put("y", "1", Agent("a1"));
        Refusals.RateLimited(() => kit.Engine.Put("z", "1", Agent("a1")));
    }

    [Fact]
    public void Explain_AgreesWithTheRealDecision_OnRandomOperations()
    {
        string[] keys = { "system/config", "users/a/email", "users/b/name", "secrets/k", "docs/x", "plain" };
        var step = Gen.Select(Gen.Int[0, 2], Gen.Int[0, keys.Length - 1], Gen.Bool);
        step.Array[1, 30].Sample(steps =>
        {
            using var kit = new GuardedKit();
            Install(kit.Engine);
            foreach (string key in keys)
            {
                kit.Store.Inner.Put(key, "stored " + key);
            }

            foreach ((int op, int k, bool agent) in steps)
            {
                var operation = (PolicyOperation)op;
                PolicyContext? context = agent ? Agent("a1") : null;
                PolicyExplanation predicted = kit.Engine.Explain(operation, keys[k], context, operation == PolicyOperation.Write ? Bytes("v") : null);
                int before = kit.Audit().Count;
                try
                {
                    switch (operation)
                    {
                        case PolicyOperation.Read: kit.Engine.Get(keys[k], context); break;
                        case PolicyOperation.Write: kit.Engine.Put(keys[k], "v", context); break;
                        default: kit.Engine.Delete(keys[k], context); break;
                    }
                }
                catch (PolicyViolationException)
                {
                }

                AuditEntry actual = kit.Audit()[before];
                Assert.Equal(actual.Result, predicted.Verdict);
                Assert.Equal(actual.Rule, predicted.Verdict == AuditResult.RateLimited ? actual.Rule : predicted.DecidingRule?.ToString());
            }
        }, iter: 40);
    }
}
