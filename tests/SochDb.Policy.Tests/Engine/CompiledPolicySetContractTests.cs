using static SochDb.Policy.Tests.Engine.EngineTestKit;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Tests.Engine;

/// <summary>The contract between the engine and compiled sets, proven with a set written the way the generator writes one.</summary>
public sealed class CompiledPolicySetContractTests
{
    [Fact]
    public void ACompiledDenyStopsEvaluation_RuntimeHandlersDoNotRun_AndTheViolationNamesTheCompiledRule()
    {
        var set = HandWrittenPolicySet.Create();
        using var kit = new EngineTestKit(set);
        bool runtimeRan = false;
        kit.Engine.BeforeWrite("system/*", (in PolicyRequest _) => { runtimeRan = true; return PolicyAction.Allow; });

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("system/config", "v", Agent("agent_001")));

        Assert.False(runtimeRan);
        Assert.Same(HandWrittenPolicySet.BlockSystemWritesRule, refused.Rule);
        Assert.Equal("Write of \"system/config\" denied by [BeforeWrite(\"system/*\")] AgentPolicies.BlockSystemWrites.", refused.Message);
        Assert.Equal("[BeforeWrite(\"system/*\")] AgentPolicies.BlockSystemWrites", Assert.Single(kit.Audit()).Rule);
        Assert.Equal(0, set.WritesSeen);
    }

    [Fact]
    public void ACompiledAfterReadModifyRedacts_AndRuntimeAfterReadHandlersSeeTheRedactedValue()
    {
        using var kit = new EngineTestKit(HandWrittenPolicySet.Create());
        kit.Store.Put("users/alice/email", "alice@example.com");
        string? seenByRuntime = null;
        kit.Engine.AfterRead("users/**", (in PolicyRequest r) => { seenByRuntime = Text(r.Value.ToArray()); return PolicyAction.Allow; });

        byte[]? value = kit.Engine.Get("users/alice/email", PolicyContext.Empty.With("redact_pii", "1"));

        Assert.Equal("[REDACTED]", Text(value));
        Assert.Equal("[REDACTED]", seenByRuntime);
        Assert.Equal("[AfterRead(\"users/*/email\")] AgentPolicies.RedactEmails", Assert.Single(kit.Audit()).Rule);
    }

    [Fact]
    public void CompiledObserversRunAfterTheWrite()
    {
        var set = HandWrittenPolicySet.Create();
        using var kit = new EngineTestKit(set);

        kit.Engine.Put("a", "1");
        kit.Engine.Put("b/c", "2");

        Assert.Equal(2, set.WritesSeen);
    }

    [Fact]
    public void ACompiledHandlerThatThrowsFailsClosed_NamingTheRuleItEntered()
    {
        using var kit = new EngineTestKit(new ThrowingSet());

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "v"));

        Assert.Same(ThrowingSet.Rule, refused.Rule);
        Assert.IsType<NotSupportedException>(refused.InnerException);
        Assert.Null(kit.Stored("k"));
    }

    [Fact]
    public void HandlesLetsTheEngineSkipSetsWithoutRulesForTheTrigger()
    {
        var set = HandWrittenPolicySet.Create();

        Assert.True(set.Handles(PolicyTrigger.BeforeWrite));
        Assert.True(set.Handles(PolicyTrigger.AfterRead));
        Assert.False(set.Handles(PolicyTrigger.BeforeDelete));
        Assert.Equal(4, set.Rules.Count);
    }

    private sealed class ThrowingSet : CompiledPolicySet
    {
        public static readonly PolicyRuleInfo Rule = new(PolicyTrigger.BeforeWrite, "**", "Broken.Handler");

        public ThrowingSet()
            : base("Broken", new[] { Rule })
        {
        }

        public override void Evaluate(ref PolicyEvaluation e)
        {
            e.Enter(Rule);
            if (!e.Apply(Handler(e.Request)))
            {
                return;
            }
        }

        private static PolicyDecision Handler(in PolicyRequest request) => throw new NotSupportedException("not yet");
    }
}
