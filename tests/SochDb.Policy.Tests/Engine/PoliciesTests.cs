using static SochDb.Policy.Tests.Engine.EngineTestKit;

namespace SochDb.Policy.Tests.Engine;

/// <summary>The ready-made handlers.</summary>
public sealed class PoliciesTests
{
    [Fact]
    public void DenyAllDenies_AndIsNamedAfterItself()
    {
        using var kit = new EngineTestKit();
        kit.Engine.BeforeDelete("archive/**", Policies.DenyAll);
        kit.Store.Put("archive/2024/q1", "x");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("archive/2024/q1"));

        Assert.Equal("Policies.DenyAll", refused.HandlerName);
        Assert.Equal("x", kit.Stored("archive/2024/q1"));
    }

    [Fact]
    public void AllowAllAllows()
    {
        using var kit = new EngineTestKit();
        kit.Engine.BeforeWrite("**", Policies.AllowAll);

        kit.Engine.Put("any/key", "v");

        Assert.Equal("v", kit.Stored("any/key"));
    }

    [Fact]
    public void RequireAgentIdDeniesCallersWithoutOne()
    {
        using var kit = new EngineTestKit();
        kit.Engine.BeforeWrite("agents/**", Policies.RequireAgentId);

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("agents/a/memory", "v"));
        var empty = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("agents/a/memory", "v", Agent("")));
        kit.Engine.Put("agents/a/memory", "v", Agent("a"));

        Assert.Equal("an agent id is required", refused.Reason);
        Assert.Equal("Policies.RequireAgentId", empty.HandlerName);
        Assert.Equal("v", kit.Stored("agents/a/memory"));
    }

    [Fact]
    public void RedactValueReplacesWhatIsRead_AndCallersCannotCorruptTheReplacement()
    {
        using var kit = new EngineTestKit();
        byte[] replacement = "***"u8.ToArray();
        kit.Engine.AfterRead("users/*/ssn", Policies.RedactValue(replacement));
        kit.Store.Put("users/a/ssn", "123-45-6789");
        replacement[0] = (byte)'!';

        byte[]? first = kit.Engine.Get("users/a/ssn");
        first![1] = (byte)'?';
        byte[]? second = kit.Engine.Get("users/a/ssn");

        Assert.Equal("***", Text(second));
        Assert.Equal("123-45-6789", kit.Stored("users/a/ssn"));
        Assert.Equal("[AfterRead(\"users/*/ssn\")] Policies.RedactValue", kit.Audit()[^1].Rule);
    }

    [Fact]
    public void RedactValueOnBeforeWriteRedactsWhatIsStored()
    {
        using var kit = new EngineTestKit();
        kit.Engine.BeforeWrite("logs/**", Policies.RedactValue("[scrubbed]"));

        kit.Engine.Put("logs/today", "password=hunter2");

        Assert.Equal("[scrubbed]", kit.Stored("logs/today"));
    }

    [Fact]
    public void RuntimeRulesGetANameWhenTheCallerGivesNone()
    {
        using var kit = new EngineTestKit();

        PolicyRuleInfo first = kit.Engine.BeforeWrite("a", (in PolicyRequest _) => PolicyAction.Allow).Rule;
        PolicyRuleInfo named = kit.Engine.BeforeWrite("b", (in PolicyRequest _) => PolicyAction.Allow, "Guards.B").Rule;

        Assert.Equal("runtime#1", first.HandlerName);
        Assert.Equal("[BeforeWrite(\"b\")] Guards.B", named.ToString());
        Assert.Equal(PolicyTrigger.BeforeWrite, named.Trigger);
    }

    [Fact]
    public void ADecision_SaysWhatItIs_InTheDecisionLogsWords()
    {
        Assert.Equal(AuditResult.Allowed, PolicyDecision.Allow.Result);
        Assert.Equal(AuditResult.Allowed, ((PolicyDecision)PolicyAction.Allow).Result);
        Assert.Equal(AuditResult.Denied, PolicyDecision.Deny("no").Result);
        Assert.Equal(AuditResult.Denied, ((PolicyDecision)PolicyAction.Deny).Result);
        Assert.Equal(AuditResult.Modified, PolicyDecision.Modify([1]).Result);
        Assert.Equal(AuditResult.ApprovalRequired, PolicyDecision.RequireApproval("look").Result);
        Assert.Equal(AuditResult.Failed, ((PolicyDecision)(PolicyAction)7).Result); // not a verdict: the engine fails closed
    }
}
