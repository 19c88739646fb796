using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>Defects found by an adversarial review, each pinned by a test named after it.</summary>
public sealed class AdversarialRegressionTests
{
    [Fact]
    public void KeyJudgedOnTheCallersBufferThenWrittenFromIt_IsFixed_TheStoreGetsTheBytesTheHandlersJudged()
    {
        using var kit = new GuardedKit();
        kit.Engine.Audit.Disable();
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll);
        byte[] key = Bytes("xystem/config");
        byte[] value = Bytes("v");
        using var stop = new CancellationTokenSource();
        var flipper = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                key[0] = (byte)'s';
                key[0] = (byte)'x';
            }
        });
        flipper.Start();
        for (int i = 0; i < 200_000; i++)
        {
            try
            {
                kit.Engine.Put(key, value);
            }
            catch (PolicyViolationException)
            {
                // judged as system/config: denied, fine
            }
        }

        stop.Cancel();
        Waits.Join(flipper);

        Assert.Null(kit.Stored("system/config"));
    }

    [Fact]
    public void KeyJudgedOnTheCallersBuffer_TheHandlerSeesTheEnginesCopy_NotTheCallersArray()
    {
        using var kit = new GuardedKit();
        byte[] key = Bytes("docs/a");
        kit.Engine.BeforeWrite("docs/*", (in PolicyRequest _) =>
        {
            key[0] = (byte)'X'; // the caller changes its buffer while the engine decides
            return PolicyAction.Allow;
        });

        kit.Engine.Put(key, Bytes("1"));

        Assert.Equal("1", kit.Stored("docs/a"));
        Assert.Null(kit.Stored("Xocs/a"));
    }

    [Fact]
    public void ValueJudgedOnTheCallersBuffer_TheStoreGetsTheValueTheHandlersJudged()
    {
        using var kit = new GuardedKit();
        byte[] value = Bytes("clean");
        kit.Engine.BeforeWrite("docs/*", (in PolicyRequest r) =>
        {
            bool clean = r.Value.SequenceEqual("clean"u8);
            value[0] = (byte)'X'; // flipped after the check
            return clean ? PolicyAction.Allow : PolicyAction.Deny;
        });

        kit.Engine.Put(Bytes("docs/a"), value);

        Assert.Equal("clean", kit.Stored("docs/a"));
    }

    [Theory]
    [InlineData(42)]
    [InlineData(-1)]
    [InlineData(2)]
    public void UndefinedVerdictsPass_IsFixed_AnUndefinedPolicyActionFailsClosed(int verdict)
    {
        using var kit = new GuardedKit();
        kit.Engine.BeforeWrite("docs/*", (in PolicyRequest _) => (PolicyAction)verdict, "Guards.Broken");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("docs/a", "1"));

        Assert.Null(kit.Stored("docs/a"));
        Assert.Equal("Guards.Broken", refused.HandlerName);
        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Failed, entry.Result);
        Assert.Contains("undefined", entry.Reason);
    }

    [Fact]
    public void UndefinedVerdictsPass_IsFixed_InCompiledSetsToo()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store, new UndefinedVerdictSet());
        engine.Audit.Enable();

        Assert.Throws<PolicyViolationException>(() => engine.Put("docs/a", "1"));

        Assert.Null(store.Get("docs/a"));
        Assert.Equal(AuditResult.Failed, Assert.Single(engine.Audit.Recent()).Result);
    }

    private sealed class UndefinedVerdictSet : CompiledPolicySet
    {
        private static readonly PolicyRuleInfo Rule = new(PolicyTrigger.BeforeWrite, "docs/*", "Compiled.Broken");

        public UndefinedVerdictSet()
            : base("UndefinedVerdictSet", new[] { Rule })
        {
        }

        public override void Evaluate(ref PolicyEvaluation evaluation)
        {
            // What generated code does for a handler returning PolicyAction.
            evaluation.Enter(Rule);
            evaluation.Apply((PolicyAction)42);
        }
    }

    [Fact]
    public void UnboundedReentrancyKillsTheProcess_IsFixed_AHandlerCallingPutOnItsOwnKeyIsRefused()
    {
        using var kit = new GuardedKit();
        PolicyEngine engine = kit.Engine;
        int calls = 0;
        engine.BeforeWrite("loop/*", (in PolicyRequest r) =>
        {
            calls++;
            engine.Put(r.Key, r.Value); // recursion without end
            return PolicyAction.Allow;
        });

        var refused = Assert.Throws<PolicyViolationException>(() => engine.Put("loop/a", "1"));

        Assert.Equal(PolicyEngine.DefaultMaxNestingDepth, calls);
        Assert.Null(kit.Stored("loop/a"));
        Assert.Contains(kit.Audit(), e => e.Result == AuditResult.Failed && e.Reason!.Contains("nested"));
        Assert.NotNull(refused.InnerException); // the outer handler failed because the nested call was refused
    }

    [Fact]
    public void BoundedReentrancy_AHandlerMayStillCallTheEngineAFewLevelsDeep()
    {
        using var kit = new GuardedKit();
        PolicyEngine engine = kit.Engine;
        engine.AfterWrite("orders/*", (in PolicyRequest r) => engine.Put("index/" + r.KeyText, "1"));

        engine.Put("orders/7", "x");

        Assert.Equal("1", kit.Stored("index/orders/7"));
    }

    [Fact]
    public void ScanLoadsTheWholeRangeBeforeCheckingAnything_IsFixed_AThrottledScanNeverTouchesTheStore()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.Read, 2, "agent_id");
        for (int i = 0; i < 10; i++)
        {
            kit.Store.Inner.Put($"docs/{i}", "x");
        }

        var agent = Agent("a1");
        Assert.Equal(2, kit.Engine.Scan("docs/", agent).Take(2).Count());
        int scansBefore = kit.Store.ScanCalls;

        using IEnumerator<KeyValuePair<byte[], byte[]>> scan = kit.Engine.Scan("", agent).GetEnumerator();
        Refusals.RateLimited(() => scan.MoveNext());

        Assert.Equal(scansBefore, kit.Store.ScanCalls);
    }

    [Fact]
    public void Scan_TakesOneTokenPerYieldedKey_TheFirstBeforeTheStore()
    {
        using var kit = new GuardedKit();
        kit.Engine.AddRateLimit(PolicyOperation.Read, 3, "agent_id");
        for (int i = 0; i < 10; i++)
        {
            kit.Store.Inner.Put($"docs/{i}", "x");
        }

        var agent = Agent("a1");
        var seen = new List<string>();
        var refused = Refusals.RateLimited(() =>
        {
            foreach (var kv in kit.Engine.Scan("docs/", agent))
            {
                seen.Add(Text(kv.Key));
            }
        });

        Assert.Equal(new[] { "docs/0", "docs/1", "docs/2" }, seen);
        Assert.Equal("docs/3", refused.Key);
    }
}
