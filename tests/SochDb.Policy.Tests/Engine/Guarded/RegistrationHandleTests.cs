using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>Every run-time registration returns a handle whose Dispose removes that rule or limit atomically.</summary>
public sealed class RegistrationHandleTests
{
    [Fact]
    public void Handle_DisposeRemovesTheRule_AndOnlyThatRule()
    {
        using var kit = new GuardedKit();
        PolicyRegistration first = kit.Engine.BeforeWrite("system/*", Policies.DenyAll, "First");
        PolicyRegistration second = kit.Engine.BeforeWrite("system/*", (in PolicyRequest _) => PolicyDecision.Deny("second"), "Second");
        Assert.Equal(2, kit.Engine.RuntimeRuleCount);

        first.Dispose();

        Assert.False(first.IsActive);
        Assert.True(second.IsActive);
        Assert.Equal(1, kit.Engine.RuntimeRuleCount);
        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("system/x", "1"));
        Assert.Equal("Second", refused.HandlerName);
        second.Dispose();
        kit.Engine.Put("system/x", "1");
        Assert.Equal("1", kit.Stored("system/x"));
    }

    [Fact]
    public void Handle_DisposingTwice_DoesNothingMore()
    {
        using var kit = new GuardedKit();
        PolicyRegistration deny = kit.Engine.BeforeRead("a/*", Policies.DenyAll);
        PolicyRegistration keep = kit.Engine.BeforeRead("b/*", Policies.DenyAll);

        deny.Dispose();
        deny.Dispose();

        Assert.Equal(1, kit.Engine.RuntimeRuleCount);
        Assert.True(keep.IsActive);
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("b/x"));
    }

    [Fact]
    public void Handle_ObserversAndEveryTriggerCanBeRemoved()
    {
        using var kit = new GuardedKit();
        int calls = 0;
        var handles = new List<PolicyRegistration>
        {
            kit.Engine.BeforeWrite("**", (in PolicyRequest _) => { calls++; return PolicyAction.Allow; }),
            kit.Engine.AfterWrite("**", (in PolicyRequest _) => calls++),
            kit.Engine.BeforeRead("**", (in PolicyRequest _) => { calls++; return PolicyAction.Allow; }),
            kit.Engine.AfterRead("**", (in PolicyRequest _) => { calls++; return PolicyAction.Allow; }),
            kit.Engine.BeforeDelete("**", (in PolicyRequest _) => { calls++; return PolicyAction.Allow; }),
            kit.Engine.AfterDelete("**", (in PolicyRequest _) => calls++),
        };
        kit.Engine.Put("k", "v");
        kit.Engine.Get("k");
        kit.Engine.Delete("k");
        Assert.Equal(6, calls);

        handles.ForEach(h => h.Dispose());
        kit.Engine.Put("k", "v");
        kit.Engine.Get("k");
        kit.Engine.Delete("k");

        Assert.Equal(6, calls);
        Assert.Equal(0, kit.Engine.RuntimeRuleCount);
    }

    [Fact]
    public void Handle_RateLimitDisposeRemovesTheLimit()
    {
        using var kit = new GuardedKit();
        PolicyRegistration limit = kit.Engine.AddRateLimit(PolicyOperation.Write, 1, "agent_id");
        RateLimitRule only = Assert.Single(limit.Limits);
        Assert.Equal((PolicyOperation.Write, 1, "agent_id"), (only.Operation, only.MaxPerMinute, only.Scope));
        Assert.Empty(limit.Rules);
        Assert.Throws<InvalidOperationException>(() => limit.Rule);
        var agent = Agent("a1");
        kit.Engine.Put("k", "1", agent);
        Refusals.RateLimited(() => kit.Engine.Put("k", "2", agent));

        limit.Dispose();
        limit.Dispose();

        kit.Engine.Put("k", "3", agent);
        kit.Engine.Put("k", "4", agent);
        Assert.Equal("4", kit.Stored("k"));
        Assert.False(limit.IsActive);
    }

    [Fact]
    public void Handle_ReplacingALimitWithRules_IsRefusedAndTheLimitStays()
    {
        using var kit = new GuardedKit();
        PolicyRegistration limit = kit.Engine.AddRateLimit(PolicyOperation.Write, 1, "agent_id");
        PolicyRuleInfo[] rules = [new(PolicyTrigger.BeforeWrite, "k", Policies.DenyAll)];

        var refused = Assert.Throws<ArgumentException>(() => kit.Engine.RegisterRules(rules, replacing: limit));

        Assert.Contains("rate limit", refused.Message, StringComparison.Ordinal);
        Assert.True(limit.IsActive);
        using PolicyRegistration rule = kit.Engine.BeforeWrite("other", Policies.AllowAll);
        Assert.Empty(rule.Limits);
        Assert.Throws<InvalidOperationException>(() => rule.Limit);
        Assert.Equal(1, kit.Engine.RuntimeRuleCount);
        var agent = Agent("a1");
        kit.Engine.Put("k", "1", agent);
        Refusals.RateLimited(() => kit.Engine.Put("k", "2", agent));
    }

    [Fact]
    public void Handle_RemovalUnderConcurrentOperations_EveryOperationSeesTheOldOrTheNewTable()
    {
        using var kit = new GuardedKit();
        kit.Engine.Audit.Disable();
        PolicyRegistration deny = kit.Engine.BeforeWrite("guarded/*", Policies.DenyAll);
        // A pair that must act together: a Modify and a rule that checks the Modify happened. Half a table would show.
        PolicyRegistration stamp = kit.Engine.BeforeWrite("free/*", (in PolicyRequest _) => PolicyDecision.Modify(Bytes("stamped")));
        PolicyRegistration check = kit.Engine.BeforeWrite("free/*", (in PolicyRequest r) =>
            r.Value.SequenceEqual("stamped"u8) ? PolicyAction.Allow : PolicyAction.Deny);
        using var stop = new CancellationTokenSource();
        int denied = 0;
        int allowed = 0;
        var workers = Enumerable.Range(0, 3).Select(w => new Thread(() =>
        {
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    kit.Engine.Put($"guarded/{w}-{i++}", "x");
                    Interlocked.Increment(ref allowed);
                }
                catch (PolicyViolationException)
                {
                    Interlocked.Increment(ref denied);
                }

                kit.Engine.Put($"free/{w}", "raw"); // never half-removed: both rules or neither
            }
        })).ToArray();
        Array.ForEach(workers, t => t.Start());

        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref denied) > 100, Waits.Timeout), "the workers never saw the rule deny");
        deny.Dispose();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref allowed) > 100, Waits.Timeout), "the workers never saw the rule gone");
        check.Dispose(); // first the check, then the stamp: every table in between still allows "raw"
        stamp.Dispose();
        Thread.Sleep(50);
        stop.Cancel();
        Waits.Join(workers);

        Assert.True(denied > 100 && allowed > 100);
        kit.Engine.Put("guarded/after", "x");
        kit.Engine.Put("free/after", "raw");
        Assert.Equal("raw", kit.Stored("free/after"));
    }
}
