using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>RegisterRules: a group of rules added, and another removed, in one atomic swap.</summary>
public sealed class GroupRegistrationTests
{
    private static PolicyRuleDefinition Deny(string pattern, string name) =>
        new(PolicyTrigger.BeforeWrite, pattern, (in PolicyRequest _) => PolicyDecision.Deny(name), Name: name);

    [Fact]
    public void RegisterRules_AddsTheGroup_AndReplacingSwapsOldForNewAtOnce()
    {
        using var kit = new GuardedKit();
        PolicyRegistration v1 = kit.Engine.RegisterRules(new[] { Deny("a/*", "v1.a"), Deny("b/*", "v1.b") });
        Assert.Equal(2, kit.Engine.RuntimeRuleCount);

        PolicyRegistration v2 = kit.Engine.RegisterRules(new[] { Deny("c/*", "v2.c") }, replacing: v1);

        Assert.False(v1.IsActive);
        Assert.True(v2.IsActive);
        Assert.Equal(1, kit.Engine.RuntimeRuleCount);
        kit.Engine.Put("a/x", "1");
        Assert.Equal("v2.c", Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("c/x", "1")).HandlerName);
        v2.Dispose();
        Assert.Equal(0, kit.Engine.RuntimeRuleCount);
    }

    [Fact]
    public void RegisterRules_ABadPattern_ChangesNothing_AndNamesTheRuleAndPosition()
    {
        using var kit = new GuardedKit();
        PolicyRegistration v1 = kit.Engine.RegisterRules(new[] { Deny("a/*", "v1.a") });

        var error = Assert.Throws<GlobPatternException>(() =>
            kit.Engine.RegisterRules(new[] { Deny("c/*", "ok"), Deny("d/[z-a]", "bad") }, replacing: v1));

        Assert.StartsWith("Rule 1: ", error.Message);
        int position = Assert.Throws<GlobPatternException>(() => kit.Engine.BeforeWrite("d/[z-a]", Policies.DenyAll)).Position;
        Assert.Equal(position, error.Position);
        Assert.Equal("d/[z-a]", error.Pattern);
        Assert.True(v1.IsActive);
        Assert.Equal(1, kit.Engine.RuntimeRuleCount);
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("a/x", "1"));
    }

    [Fact]
    public void RegisterRules_AHandlerOnAnObserverTrigger_IsRefused()
    {
        using var kit = new GuardedKit();

        var error = Assert.Throws<ArgumentException>(() => kit.Engine.RegisterRules(new[]
        {
            new PolicyRuleDefinition(PolicyTrigger.AfterWrite, "a/*", Policies.AllowAll),
        }));

        Assert.Contains("Rule 0", error.Message);
        Assert.Equal(0, kit.Engine.RuntimeRuleCount);
    }

    [Fact]
    public void RegisterRules_ConcurrentOperationsSeeTheOldGroupOrTheNew_NeverAMix()
    {
        using var kit = new GuardedKit();
        kit.Engine.DisableAudit();
        // Each version is a pair that must act together: version N stamps "vN" and then checks the stamp is "vN".
        static PolicyRuleDefinition[] Version(int n) => new[]
        {
            new PolicyRuleDefinition(PolicyTrigger.BeforeWrite, "k/*", (in PolicyRequest _) => PolicyDecision.Modify(Bytes("v" + n))),
            new PolicyRuleDefinition(PolicyTrigger.BeforeWrite, "k/*", (in PolicyRequest r) =>
                r.Value.SequenceEqual(Bytes("v" + n)) ? PolicyAction.Allow : PolicyDecision.Deny("mixed versions")),
        };
        PolicyRegistration current = kit.Engine.RegisterRules(Version(0));
        int mixed = 0;
        using var stop = new CancellationTokenSource();
        var worker = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    kit.Engine.Put("k/x", "raw");
                }
                catch (PolicyViolationException)
                {
                    Interlocked.Increment(ref mixed);
                }
            }
        });
        worker.Start();
        for (int n = 1; n <= 300; n++)
        {
            current = kit.Engine.RegisterRules(Version(n), replacing: current);
        }

        stop.Cancel();
        Waits.Join(worker);

        Assert.Equal(0, mixed);
        Assert.Equal(2, kit.Engine.RuntimeRuleCount);
    }
}
