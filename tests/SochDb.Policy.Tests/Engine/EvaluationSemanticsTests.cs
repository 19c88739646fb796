using static SochDb.Policy.Tests.Engine.EngineTestKit;

namespace SochDb.Policy.Tests.Engine;

/// <summary>One test per rule of docs/semantics.md ("One Put, Get or Delete"), each named after its rule.</summary>
public sealed class EvaluationSemanticsTests
{
    [Fact]
    public void RateLimitsAreCheckedFirst_AndAtomically_ARefusedRequestTakesNoTokenFromOtherLimits()
    {
        using var kit = new EngineTestKit();
        int handlerRuns = 0;
        kit.Engine.BeforeWrite("**", (in PolicyRequest _) =>
        {
            handlerRuns++;
            return PolicyAction.Allow;
        });
        kit.Engine.AddRateLimit(PolicyOperation.Write, 3);                 // global: 3
        kit.Engine.AddRateLimit(PolicyOperation.All, 1, "agent_id");      // per agent: 1

        kit.Engine.Put("k", "1", Agent("x"));                               // global 2 left, x 0 left
        var refused = Refusals.RateLimited(() => kit.Engine.Put("k", "2", Agent("x")));
        Assert.Equal("agent_id", refused.RateLimit!.Scope);
        Assert.Equal("x", refused.ScopeValue);
        Assert.Equal(1, handlerRuns);                                       // refused before any handler ran
        Assert.Equal("1", kit.Stored("k"));

        // Had the refused request taken a global token, the third of these would fail.
        kit.Engine.Put("k", "y", Agent("y"));
        kit.Engine.Put("k", "z", Agent("z"));
        var global = Refusals.RateLimited(() => kit.Engine.Put("k", "w", Agent("w")));
        Assert.Equal("global", global.RateLimit!.Scope);
        Assert.Null(global.ScopeValue);
        Assert.Equal("z", kit.Stored("k"));
    }

    [Fact]
    public void BeforeHandlersRunInOrder_CompiledSetsInTheOrderGiven_ThenRuntimeHandlersInRegistrationOrder()
    {
        var first = HandWrittenPolicySet.Create();
        var second = HandWrittenPolicySet.Create();
        using var kit = new EngineTestKit(first, second);
        var calls = new List<string>();
        kit.Engine.BeforeWrite("notes/*", (in PolicyRequest r) => { calls.Add("runtime:1 saw " + Text(r.Value.ToArray())); return PolicyAction.Allow; });
        kit.Engine.BeforeWrite("**", (in PolicyRequest r) => { calls.Add("runtime:2 saw " + Text(r.Value.ToArray())); return PolicyAction.Allow; });
        kit.Engine.BeforeWrite("notes/**", (in PolicyRequest r) => { calls.Add("runtime:3 saw " + Text(r.Value.ToArray())); return PolicyAction.Allow; });

        kit.Engine.Put("notes/a", "v");

        Assert.Equal(new[] { "compiled:StampNotes" }, first.Calls);
        Assert.Equal(new[] { "compiled:StampNotes" }, second.Calls);
        // Both compiled sets ran before the run-time handlers (each saw the value already stamped twice).
        Assert.Equal(new[] { "runtime:1 saw v|compiled|compiled", "runtime:2 saw v|compiled|compiled", "runtime:3 saw v|compiled|compiled" }, calls);
    }

    [Fact]
    public void EveryMatchingHandlerRuns_AndNoOtherDoes()
    {
        using var kit = new EngineTestKit();
        var ran = new List<string>();
        PolicyHandler Track(string name) => (in PolicyRequest _) => { ran.Add(name); return PolicyAction.Allow; };
        kit.Engine.BeforeWrite("users/*", Track("users/*"));
        kit.Engine.BeforeWrite("users/**", Track("users/**"));
        kit.Engine.BeforeWrite("*/alice", Track("*/alice"));
        kit.Engine.BeforeWrite("**", Track("**"));
        kit.Engine.BeforeWrite("users", Track("users"));
        kit.Engine.BeforeWrite("system/*", Track("system/*"));
        kit.Engine.BeforeWrite("users/*/email", Track("users/*/email"));

        kit.Engine.Put("users/alice", "v");

        Assert.Equal(new[] { "users/*", "users/**", "*/alice", "**" }, ran);
    }

    [Fact]
    public void TheFirstDenyStopsEvaluation_AndTheOperationChangesNothingInTheStore()
    {
        using var kit = new EngineTestKit();
        kit.Store.Put("docs/a", "old");
        bool laterRan = false;
        kit.Engine.BeforeWrite("docs/*", (in PolicyRequest _) => PolicyDecision.Deny("read-only"), "Docs.ReadOnly");
        kit.Engine.BeforeWrite("docs/*", (in PolicyRequest _) => { laterRan = true; return PolicyAction.Allow; });
        kit.Engine.BeforeDelete("docs/*", (in PolicyRequest _) => PolicyAction.Deny, "Docs.NoDelete");

        var write = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("docs/a", "new", Agent("a1")));
        var delete = Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("docs/a"));

        Assert.False(laterRan);
        Assert.Equal("old", kit.Stored("docs/a"));
        Assert.Equal("Write of \"docs/a\" denied by [BeforeWrite(\"docs/*\")] Docs.ReadOnly: read-only.", write.Message);
        Assert.Equal(("Docs.ReadOnly", "docs/*", "read-only", "a1"), (write.HandlerName, write.Pattern, write.Reason, write.AgentId));
        Assert.Equal(PolicyTrigger.BeforeWrite, write.Trigger);
        Assert.Equal(PolicyOperation.Delete, delete.Operation);
        Assert.Equal("Docs.NoDelete", delete.HandlerName);
    }

    [Fact]
    public void ModifyChains_EachHandlerSeesTheValueTheLastProduced_AndTheLastOneIsWritten()
    {
        using var kit = new EngineTestKit();
        var seen = new List<string>();
        kit.Engine.BeforeWrite("**", (in PolicyRequest r) => { seen.Add(Text(r.Value.ToArray())); return PolicyDecision.Modify([.. r.Value, .. "+a"u8]); });
        kit.Engine.BeforeWrite("**", (in PolicyRequest r) => { seen.Add(Text(r.Value.ToArray())); return PolicyDecision.Modify([.. r.Value, .. "+b"u8]); }, "AppendB");
        kit.Engine.BeforeWrite("**", (in PolicyRequest r) => { seen.Add(Text(r.Value.ToArray())); return PolicyAction.Allow; });

        kit.Engine.Put("k", "v");

        Assert.Equal(new[] { "v", "v+a", "v+a+b" }, seen);
        Assert.Equal("v+a+b", kit.Stored("k"));
        AuditEntry entry = Assert.Single(kit.Audit());
        Assert.Equal(AuditResult.Modified, entry.Result);
        Assert.Equal("[BeforeWrite(\"**\")] AppendB", entry.Rule);
    }

    [Fact]
    public void AModifyNeverHidesALaterDeny()
    {
        using var kit = new EngineTestKit();
        kit.Engine.BeforeWrite("**", (in PolicyRequest _) => PolicyDecision.Modify("sanitized"u8.ToArray()), "Sanitize");
        kit.Engine.BeforeWrite("secrets/*", (in PolicyRequest _) => PolicyDecision.Deny("no secrets"), "NoSecrets");
        kit.Engine.AfterRead("**", (in PolicyRequest _) => PolicyDecision.Modify("redacted"u8.ToArray()), "Redact");
        kit.Engine.AfterRead("private/*", (in PolicyRequest _) => PolicyAction.Deny, "Private");
        kit.Store.Put("private/p", "x");

        var write = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("secrets/s", "v"));
        var read = Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("private/p"));

        Assert.Equal("NoSecrets", write.HandlerName);
        Assert.Null(kit.Stored("secrets/s"));
        Assert.Equal("Private", read.HandlerName);
        Assert.Equal(PolicyTrigger.AfterRead, read.Trigger);
    }

    [Fact]
    public void TheKeyAlwaysComesFromTheOperation_NeverFromTheContext()
    {
        using var kit = new EngineTestKit();
        var keys = new List<string>();
        kit.Engine.BeforeWrite("**", (in PolicyRequest r) => { keys.Add(r.KeyText); return PolicyAction.Allow; });
        kit.Engine.BeforeRead("**", (in PolicyRequest r) => { keys.Add(r.KeyText); return PolicyAction.Allow; });
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll);
        var context = PolicyContext.FromDictionary(new Dictionary<string, object?> { ["key"] = "public/x", ["agent_id"] = "a" });

        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("system/config", "v", context));
        kit.Engine.Get("users/u", context);

        Assert.Equal(new[] { "system/config", "users/u" }, keys);
        Assert.Null(kit.Stored("system/config"));
        Assert.Null(kit.Stored("public/x"));
    }

    [Fact]
    public void AfterReadHandlersChain_EachSeesTheValueThePreviousProduced()
    {
        using var kit = new EngineTestKit();
        kit.Store.Put("users/bob/email", "bob@example.com");
        var seen = new List<string>();
        kit.Engine.AfterRead("users/**", (in PolicyRequest r) => { seen.Add(Text(r.Value.ToArray())); return PolicyDecision.Modify("b***@example.com"u8.ToArray()); });
        kit.Engine.AfterRead("**/email", (in PolicyRequest r) => { seen.Add(Text(r.Value.ToArray())); return PolicyDecision.Modify([.. r.Value, .. " (masked)"u8]); });

        byte[]? value = kit.Engine.Get("users/bob/email");

        Assert.Equal(new[] { "bob@example.com", "b***@example.com" }, seen);
        Assert.Equal("b***@example.com (masked)", Text(value));
        Assert.Equal("bob@example.com", kit.Stored("users/bob/email"));
    }

    [Fact]
    public void AfterReadRunsOnlyWhenTheKeyExists_AMissingKeyReturnsNull()
    {
        using var kit = new EngineTestKit();
        var seen = new List<string>();
        kit.Engine.AfterRead("users/*", (in PolicyRequest r) => { seen.Add(r.KeyText); return PolicyDecision.Modify("[REDACTED]"u8.ToArray()); });
        kit.Store.Put("users/alice", "alice");

        byte[]? missing = kit.Engine.Get("users/bob");
        byte[]? present = kit.Engine.Get("users/alice");

        Assert.Null(missing);
        Assert.Equal("[REDACTED]", Text(present));
        Assert.Equal(new[] { "users/alice" }, seen);
    }

    [Fact]
    public void ADenyInAfterReadWithholdsTheValue_WithPolicyViolationException()
    {
        using var kit = new EngineTestKit();
        kit.Store.Put("vault/key", "secret");
        kit.Engine.AfterRead("vault/*", (in PolicyRequest r) => r.Context.Has("clearance") ? PolicyAction.Allow : PolicyDecision.Deny("needs clearance"), "Vault.Clearance");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("vault/key"));
        byte[]? allowed = kit.Engine.Get("vault/key", PolicyContext.Empty.With("clearance", "top"));

        Assert.Equal("Read of \"vault/key\" denied by [AfterRead(\"vault/*\")] Vault.Clearance: needs clearance.", refused.Message);
        Assert.Equal("secret", Text(allowed));
    }

    [Fact]
    public void AfterWriteAndAfterDeleteRunForSideEffects_AfterTheChangeIsDurable()
    {
        using var kit = new EngineTestKit();
        var observed = new List<string>();
        kit.Engine.AfterWrite("jobs/*", (in PolicyRequest r) => observed.Add($"wrote {r.KeyText}={Text(r.Value.ToArray())}; store has {kit.Stored(r.KeyText)}"));
        kit.Engine.AfterDelete("jobs/*", (in PolicyRequest r) => observed.Add($"deleted {r.KeyText}; store has {kit.Stored(r.KeyText) ?? "nothing"}"));

        kit.Engine.Put("jobs/1", "queued");
        Assert.True(kit.Engine.Delete("jobs/1"));
        Assert.False(kit.Engine.Delete("jobs/1"));   // nothing removed: no change to observe

        Assert.Equal(new[] { "wrote jobs/1=queued; store has queued", "deleted jobs/1; store has nothing" }, observed);
    }

    [Fact]
    public void FailuresFailClosed_ABeforeHandlerThatThrowsRefusesTheOperation_InnerExceptionKept()
    {
        using var kit = new EngineTestKit();
        kit.Store.Put("cfg/a", "old");
        var boom = new InvalidOperationException("lookup service down");
        kit.Engine.BeforeWrite("cfg/*", (in PolicyRequest _) => throw boom, "Cfg.Check");
        kit.Engine.BeforeDelete("cfg/*", (in PolicyRequest _) => throw boom, "Cfg.Check");
        kit.Engine.BeforeRead("cfg/*", (in PolicyRequest _) => throw boom, "Cfg.Check");

        var write = Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("cfg/a", "new"));
        var delete = Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("cfg/a"));
        var read = Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("cfg/a"));

        Assert.Same(boom, write.InnerException);
        Assert.Same(boom, delete.InnerException);
        Assert.Same(boom, read.InnerException);
        Assert.Equal("Cfg.Check", write.HandlerName);
        Assert.Contains("threw InvalidOperationException", write.Message);
        Assert.DoesNotContain("lookup service down", write.Message); // the type, never the message: it can quote keys
        Assert.Equal("old", kit.Stored("cfg/a"));
        Assert.All(kit.Audit(), e => Assert.Equal(AuditResult.Failed, e.Result));
        Assert.Equal(3, kit.Audit().Count);
    }

    [Fact]
    public void FailuresFailClosed_AnAfterReadHandlerThatThrowsWithholdsTheValue()
    {
        using var kit = new EngineTestKit();
        kit.Store.Put("users/u/email", "u@example.com");
        kit.Engine.AfterRead("users/*/email", (in PolicyRequest _) => throw new FormatException("bad mask"), "Mask");

        var refused = Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("users/u/email"));
        var scan = Assert.Throws<PolicyViolationException>(() => kit.Engine.Scan("users/").ToList());

        Assert.IsType<FormatException>(refused.InnerException);
        Assert.IsType<FormatException>(scan.InnerException);
        Assert.Equal(PolicyTrigger.AfterRead, refused.Trigger);
    }

    [Fact]
    public void FailuresFailClosed_AModifyWhereTheTriggerCannotModifyIsRefused()
    {
        using var kit = new EngineTestKit();
        kit.Store.Put("k", "v");
        kit.Engine.BeforeRead("k", (in PolicyRequest _) => PolicyDecision.Modify("x"u8.ToArray()), "Confused");
        kit.Engine.BeforeDelete("k", (in PolicyRequest _) => PolicyDecision.Modify("x"u8.ToArray()), "Confused");

        var read = Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("k"));
        var delete = Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("k"));

        Assert.Contains("handler returned Modify on BeforeRead, which cannot modify a value", read.Message);
        Assert.Contains("BeforeDelete", delete.Message);
        Assert.Equal("v", kit.Stored("k"));
        Assert.All(kit.Audit(), e => Assert.Equal(AuditResult.Failed, e.Result));
    }

    [Fact]
    public void FailuresOfAfterWriteOrAfterDeleteSurfaceAsPolicyHandlerException_SayingTheChangeWasCommitted()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AfterWrite("**", (in PolicyRequest _) => throw new IOException("webhook unreachable"), "Notify");
        kit.Engine.AfterDelete("**", (in PolicyRequest _) => throw new IOException("webhook unreachable"), "Notify");

        var write = Assert.Throws<PolicyHandlerException>(() => kit.Engine.Put("k", "v"));
        Assert.Equal("v", kit.Stored("k"));
        var delete = Assert.Throws<PolicyHandlerException>(() => kit.Engine.Delete("k"));
        Assert.Null(kit.Stored("k"));

        Assert.Equal("Write of \"k\" was committed, but [AfterWrite(\"**\")] Notify threw IOException.", write.Message);
        Assert.Contains("was committed", delete.Message);
        Assert.True(write.Committed);
        Assert.IsType<IOException>(write.InnerException);
        Assert.Equal(PolicyTrigger.AfterDelete, delete.Trigger);
        IReadOnlyList<AuditEntry> audit = kit.Audit();
        Assert.Equal(2, audit.Count);
        Assert.All(audit, e => Assert.StartsWith("committed, then the handler threw IOException", e.Reason));
    }

    [Fact]
    public void AuditRecordsExactlyOneEntryPerOutcome_NamingTheRuleThatDecided()
    {
        using var kit = new EngineTestKit();
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll);
        kit.Engine.BeforeWrite("pii/*", Policies.RedactValue("[REDACTED]"));
        kit.Engine.BeforeWrite("broken/*", (in PolicyRequest _) => throw new InvalidOperationException("bug"), "Broken.Handler");
        kit.Engine.AddRateLimit(PolicyOperation.Delete, 1);
        kit.Store.Put("d1", "x");

        kit.Engine.Put("open/a", "v", Agent("a1"));
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("system/a", "v", Agent("a1")));
        kit.Engine.Put("pii/a", "555-1234", Agent("a1"));
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("broken/a", "v", Agent("a1")));
        kit.Engine.Delete("d1", Agent("a1"));
        Refusals.RateLimited(() => kit.Engine.Delete("d1", Agent("a1")));

        IReadOnlyList<AuditEntry> audit = kit.Audit();
        Assert.Equal(
            new (AuditResult, string, string?)[]
            {
                (AuditResult.Allowed, "open/a", null),
                (AuditResult.Denied, "system/a", "[BeforeWrite(\"system/*\")] Policies.DenyAll"),
                (AuditResult.Modified, "pii/a", "[BeforeWrite(\"pii/*\")] Policies.RedactValue"),
                (AuditResult.Failed, "broken/a", "[BeforeWrite(\"broken/*\")] Broken.Handler"),
                (AuditResult.Allowed, "d1", null),
                (AuditResult.RateLimited, "d1", "Delete 1/min per global"),
            },
            audit.Select(e => (e.Result, e.Key, e.Rule)).ToArray());
        Assert.All(audit, e => Assert.Equal("a1", e.AgentId));
        Assert.Equal("[REDACTED]", kit.Stored("pii/a"));
        Assert.Equal("the handler threw InvalidOperationException", audit[3].Reason);
        Assert.Equal(kit.Time.GetUtcNow(), audit[0].Timestamp);
    }

    [Fact]
    public void ScanSkipsDeniedKeys_FiltersValuesThroughAfterRead_AndTakesAReadTokenPerItem()
    {
        using var kit = new EngineTestKit();
        foreach (string name in new[] { "alice", "bob", "carol", "dave" })
        {
            kit.Store.Put($"users/{name}/email", $"{name}@example.com");
        }

        kit.Store.Put("other/x", "not in prefix");
        kit.Engine.BeforeRead("users/bob/*", Policies.DenyAll);
        kit.Engine.AfterRead("users/carol/*", (in PolicyRequest _) => PolicyDecision.Deny("carol opted out"), "OptOut");
        kit.Engine.AfterRead("users/*/email", (in PolicyRequest r) => r.Context.Has("redact_pii") ? PolicyDecision.Modify("[REDACTED]"u8.ToArray()) : PolicyAction.Allow, "RedactEmails");
        kit.Engine.AddRateLimit("read", 5, "agent_id");
        var agent = Agent("scanner").With("redact_pii", "1");

        var visible = kit.Engine.Scan("users/", agent).Select(kv => (Text(kv.Key), Text(kv.Value))).ToList();

        Assert.Equal(new[] { ("users/alice/email", "[REDACTED]"), ("users/dave/email", "[REDACTED]") }, visible);
        Assert.Equal(
            new[] { AuditResult.Modified, AuditResult.Denied, AuditResult.Denied, AuditResult.Modified },
            kit.Audit().Select(e => e.Result).ToArray());

        // Four items examined: four tokens of five gone; a second scan stops at the second item.
        var enumerator = kit.Engine.Scan("users/", agent).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        var limited = Refusals.RateLimited(() => enumerator.MoveNext());
        Assert.Equal("users/bob/email", limited.Key);
        Assert.Equal(AuditResult.RateLimited, kit.Audit()[^1].Result);
    }
}
