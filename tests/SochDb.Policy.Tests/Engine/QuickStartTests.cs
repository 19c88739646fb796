using System.Text;

namespace SochDb.Policy.Tests.Engine;

/// <summary>The seed SDKs' Quick Start, end to end, over the durable store.</summary>
public sealed class QuickStartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sochdb-quickstart-").FullName;

    [Fact]
    public void QuickStart_OverDatabaseOpen()
    {
        string path = Path.Combine(_directory, "agent_data");
        using (Database db = Database.Open(path, new DatabaseOptions { Durability = Durability.Normal }))
        {
            RunQuickStart(db);
        }

        // What the policies let through is durable; what they refused was never written.
        using Database reopened = Database.Open(path);
        Assert.Equal("data", Encoding.UTF8.GetString(reopened.Get("users/alice")!));
        Assert.Equal("v1", Encoding.UTF8.GetString(reopened.Get("system/config")!));
        Assert.Equal("alice@example.com", Encoding.UTF8.GetString(reopened.Get("users/alice/email")!));
        Assert.NotNull(reopened.Get("archive/2023"));
    }

    [Fact]
    public void QuickStart_OverTheInMemoryStore()
    {
        using Database db = Database.OpenInMemory();
        RunQuickStart(db);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static void RunQuickStart(Database db)
    {
        var policy = new PolicyEngine(db);

        // Block writes to system keys from agents.
        policy.BeforeWrite("system/*", static (in PolicyRequest request) =>
            request.Context.Get("agent_id") is not null ? PolicyAction.Deny : PolicyAction.Allow, "block_system_writes");

        // Redact PII on read.
        byte[] redacted = "[REDACTED]"u8.ToArray();
        policy.AfterRead("users/*/email", (in PolicyRequest request) =>
            request.Context.Get("redact_pii") is not null ? PolicyDecision.Modify(redacted) : PolicyDecision.Allow, "redact_emails");

        // Built-in helpers.
        policy.BeforeDelete("archive/**", Policies.DenyAll);
        policy.BeforeWrite("agents/**", Policies.RequireAgentId);

        // Global, per-agent and per-session limits.
        policy.AddRateLimit("write", maxPerMinute: 1000);
        policy.AddRateLimit("all", maxPerMinute: 5, scope: "agent_id");
        policy.AddRateLimit("read", maxPerMinute: 3, scope: "session_id");
        policy.Audit.Enable(maxEntries: 1000);

        // The seed's context shape.
        PolicyContext agent1 = PolicyContext.FromDictionary(new Dictionary<string, object?> { ["agent_id"] = "agent_001" });
        PolicyContext agent2 = PolicyContext.FromDictionary(new Dictionary<string, object?> { ["agent_id"] = "agent_002", ["session_id"] = "s-9", ["redact_pii"] = true });

        // Use policy-wrapped operations.
        policy.Put("users/alice", "data"u8, agent1);
        policy.Put("system/config", "v1");                                    // no agent: allowed
        policy.Put("users/alice/email", "alice@example.com");
        db.Put("archive/2023", "old records");

        // The violation error: who was refused, what, by which rule, and why.
        var violation = Assert.Throws<PolicyViolationException>(() => policy.Put("system/config", "pwned", agent1));
        Assert.Equal("Write of \"system/config\" denied by [BeforeWrite(\"system/*\")] block_system_writes.", violation.Message);
        Assert.Equal(("system/config", "agent_001", "system/*", "block_system_writes"), (violation.Key, violation.AgentId, violation.Pattern, violation.HandlerName));
        Assert.Throws<PolicyViolationException>(() => policy.Put("agents/x/state", "v"));
        Assert.Throws<PolicyViolationException>(() => policy.Delete("archive/2023", agent1));

        // Redaction only when the context asks for it.
        Assert.Equal("alice@example.com", policy.GetString("users/alice/email", agent1));
        Assert.Equal("[REDACTED]", policy.GetString("users/alice/email", agent2));
        Assert.Equal(new[] { "[REDACTED]" }, policy.Scan("users/alice/", agent2).Select(kv => Encoding.UTF8.GetString(kv.Value)));

        // Per agent: agent_001 has spent 4 of its 5 tokens (put, denied put, denied delete, get: a token is taken
        // before handlers run); one more read, then it is refused.
        policy.Get("users/alice", agent1);
        var perAgent = Refusals.RateLimited(() => policy.Get("users/alice", agent1));
        Assert.Equal(("agent_id", "agent_001"), (perAgent.RateLimit!.Scope, perAgent.ScopeValue));
        Assert.True(perAgent.RetryAfter > TimeSpan.Zero);

        // Per-session: agent_002's session s-9 has used 2 reads (get + one scanned item); one more, then refused.
        policy.Get("users/alice", agent2);
        var perSession = Refusals.RateLimited(() => policy.Get("users/alice", agent2));
        Assert.Equal(("session_id", "s-9"), (perSession.RateLimit!.Scope, perSession.ScopeValue));

        // Audit filtered by agent, newest last.
        IReadOnlyList<AuditEntry> agent1Log = policy.Audit.Recent(limit: 100, agentId: "agent_001");
        Assert.Equal(
            new[]
            {
                (PolicyOperation.Write, "users/alice", AuditResult.Allowed),
                (PolicyOperation.Write, "system/config", AuditResult.Denied),
                (PolicyOperation.Delete, "archive/2023", AuditResult.Denied),
                (PolicyOperation.Read, "users/alice/email", AuditResult.Allowed),
                (PolicyOperation.Read, "users/alice", AuditResult.Allowed),
                (PolicyOperation.Read, "users/alice", AuditResult.RateLimited),
            },
            agent1Log.Select(e => (e.Operation, e.Key, e.Result)).ToArray());
        Assert.Equal("[BeforeDelete(\"archive/**\")] Policies.DenyAll", agent1Log[2].Rule);
        Assert.Equal(2, policy.Audit.Recent(limit: 2, agentId: "agent_002", operation: PolicyOperation.Read).Count);
        Assert.All(policy.Audit.Recent(limit: 1000, agentId: "agent_002"), e => Assert.Equal("s-9", e.SessionId));
    }
}
