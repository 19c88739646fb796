using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>RegisterRules: a group of rules added, and another removed, in one atomic swap.</summary>
public sealed class GroupRegistrationTests
{
    private static PolicyRuleInfo Deny(string pattern, string name) =>
        new(PolicyTrigger.BeforeWrite, pattern, (in PolicyRequest _) => PolicyDecision.Deny(name), name: name);

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
            new PolicyRuleInfo(PolicyTrigger.AfterWrite, "a/*", Policies.AllowAll),
        }));

        Assert.Contains("Rule 0", error.Message);
        Assert.Equal(0, kit.Engine.RuntimeRuleCount);
    }

    [Fact]
    public void ARuleWithoutAHandler_IsRefused_NamingItsIndex_AndNothingIsRegistered()
    {
        using var kit = new GuardedKit();
        var described = new PolicyRuleInfo(PolicyTrigger.BeforeWrite, "b/*", "Described.Only");
        Assert.Null(described.Handler);
        Assert.Null(described.Observer);

        var error = Assert.Throws<ArgumentException>(() => kit.Engine.RegisterRules([Deny("a/*", "first"), described]));

        Assert.Contains("Rule 1", error.Message);
        Assert.Contains("has no handler", error.Message);
        Assert.Equal(0, kit.Engine.RuntimeRuleCount);
    }

    [Fact]
    public void ARuleBuiltToRegister_CarriesItsDelegate_AndTheEngineNamesIt()
    {
        using var kit = new GuardedKit();
        PolicyObserver observe = (in PolicyRequest _) => { };
        var handler = new PolicyRuleInfo(PolicyTrigger.BeforeWrite, "a/*", Policies.DenyAll, mode: EnforcementMode.Shadow);
        var observer = new PolicyRuleInfo(PolicyTrigger.AfterWrite, "a/*", observe, name: "watch");
        Assert.Same(Policies.DenyAll, handler.Handler);
        Assert.Null(handler.Observer);
        Assert.Same(observe, observer.Observer);
        Assert.Equal("watch", observer.HandlerName);
        Assert.Equal(EnforcementMode.Shadow, handler.Mode);
        Assert.Throws<ArgumentNullException>(() => new PolicyRuleInfo(PolicyTrigger.BeforeWrite, "a/*", (PolicyHandler)null!));

        kit.Engine.RegisterRules([handler, observer]);

        Assert.Equal(2, kit.Engine.RuntimeRuleCount);
        kit.Engine.Put("a/1", "v"); // a shadow deny records, does not refuse
        Assert.Equal("v", kit.Engine.Get("a/1") is { } value ? System.Text.Encoding.UTF8.GetString(value) : null);
    }

    [Fact]
    public void RegisterRules_ConcurrentOperationsSeeTheOldGroupOrTheNew_NeverAMix()
    {
        using var kit = new GuardedKit();
        kit.Engine.Audit.Disable();
        // Each version is a pair that must act together: version N stamps "vN" and then checks the stamp is "vN".
        static PolicyRuleInfo[] Version(int n) => new[]
        {
            new PolicyRuleInfo(PolicyTrigger.BeforeWrite, "k/*", (in PolicyRequest _) => PolicyDecision.Modify(Bytes("v" + n))),
            new PolicyRuleInfo(PolicyTrigger.BeforeWrite, "k/*", (in PolicyRequest r) =>
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

    [Fact]
    public void Defect4_ReplacingManyRules_BuildsEachChangedTriggerTableOnce_NotOncePerRule()
    {
        using var kit = new GuardedKit();
        // 1,600 rules on two triggers, as a configuration reload loads them.
        static PolicyRuleInfo[] Configured(string version) => Enumerable.Range(0, 1600)
            .Select(i => new PolicyRuleInfo(
                i % 2 == 0 ? PolicyTrigger.BeforeWrite : PolicyTrigger.BeforeRead,
                $"tenant{i}/{{docs,notes}}/*.json",
                (in PolicyRequest _) => PolicyDecision.Deny(version),
                name: $"{version}.rule{i}"))
            .ToArray();

        int before = kit.Engine.TriggerTableBuilds;
        PolicyRegistration v1 = kit.Engine.RegisterRules(Configured("v1"));
        Assert.Equal(before + 2, kit.Engine.TriggerTableBuilds);

        PolicyRegistration v2 = kit.Engine.RegisterRules(Configured("v2"), replacing: v1);
        Assert.Equal(before + 4, kit.Engine.TriggerTableBuilds);
        Assert.Equal(1600, kit.Engine.RuntimeRuleCount);
        Assert.Equal("v2.rule4", Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("tenant4/docs/a.json", "1")).HandlerName);

        v2.Dispose();
        Assert.Equal(0, kit.Engine.RuntimeRuleCount);
        Assert.Equal(before + 4, kit.Engine.TriggerTableBuilds);
        kit.Engine.Put("tenant4/docs/a.json", "1");
    }

    [Fact]
    public void RegisterRules_ReplacingOnlyTouchesTheTriggersThatChange()
    {
        using var kit = new GuardedKit();
        PolicyRegistration writes = kit.Engine.RegisterRules(new[] { Deny("w/*", "w1") });
        var reads = kit.Engine.RegisterRules(new[]
        {
            new PolicyRuleInfo(PolicyTrigger.BeforeRead, "r/*", (in PolicyRequest _) => PolicyDecision.Deny("r1"), name: "r1"),
        });
        int before = kit.Engine.TriggerTableBuilds;

        kit.Engine.RegisterRules(new[] { Deny("w/*", "w2") }, replacing: writes);

        Assert.Equal(before + 1, kit.Engine.TriggerTableBuilds);
        Assert.True(reads.IsActive);
        Assert.Equal("w2", Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("w/x", "1")).HandlerName);
        Assert.Equal("r1", Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("r/x")).HandlerName);
    }
}
