using System.Text;
using AgentGuard;
using SochDb;
using SochDb.Policy;

// The agent's memory: one SQLite file (WAL mode) in the current directory. The decision log lives in the same
// file, in a table of its own: it survives the process, and its hash chain shows whether anyone edited it.
using Database db = Database.Open("./agent_data");
using SqliteAuditSink decisionLog = SqliteAuditSink.Open("./agent_data");

List<AuditEntry> previous = decisionLog.Query(new AuditQuery { PageSize = 8 }).Take(8).Reverse().ToList();
Console.WriteLine(previous.Count == 0 ? "previous runs: no decisions recorded yet" : "previous runs: newest decisions");
foreach (AuditEntry e in previous)
{
    Console.WriteLine($"  previous: #{e.Sequence} {e.Result,-11} {e.Operation,-6} {e.Key,-22} agent={e.AgentId ?? "-"}");
}

// Compiled policies (AgentPolicies.cs, turned into a dispatch table by the source generator) run first,
// then rules registered at run time, in registration order.
using var policy = new PolicyEngine(db, AgentPolicies.Compiled);
policy.BeforeDelete("audit/**", Policies.DenyAll, name: "keep-audit-trail");
policy.AfterRead("users/*/ssn", Policies.RedactValue("***-**-****"), name: "redact-ssn");
policy.AddRateLimit("write", maxPerMinute: 5, scope: "agent_id");
policy.Audit.Enable(new AuditOptions
{
    RingSize = 1_000,
    Sinks = [decisionLog],
    // SSN keys name a person: the log keeps a keyed hash of them. (A real key comes from a secret store.)
    MaskedKeys = ["users/*/ssn"],
    MaskKey = "sample key: use a secret of your own"u8.ToArray(),
});

var admin = new PolicyContext();
var agent = new PolicyContext { AgentId = "agent_001", SessionId = "session_42" };
var runaway = new PolicyContext { AgentId = "agent_666" };

policy.Put("system/config", "{\"model\": \"small\"}", admin);
Console.WriteLine("admin wrote system/config");
Try(() => policy.Put("system/config", "{\"model\": \"huge\"}", agent));

policy.Put("users/alice/profile", "Alice, prefers short answers", agent);
policy.Put("users/alice/email", "alice@example.com", agent);
policy.Put("users/alice/ssn", "078-05-1120", agent);
Console.WriteLine("agent_001 wrote users/alice/{profile,email,ssn}");

Console.WriteLine($"email, plain read: {policy.GetString("users/alice/email", agent)}");
Console.WriteLine($"email, redact_pii read: {policy.GetString("users/alice/email", agent.With("redact_pii", "1"))}");

Console.WriteLine("scan users/alice/ with redact_pii:");
foreach (KeyValuePair<byte[], byte[]> entry in policy.Scan("users/alice/", agent.With("redact_pii", "1")))
{
    Console.WriteLine($"  {Encoding.UTF8.GetString(entry.Key)} = {Encoding.UTF8.GetString(entry.Value)}");
}

policy.Put("audit/2026-11-27", "agent_001 read alice", admin);
Try(() => policy.Delete("audit/2026-11-27", admin));

for (int i = 0; i < 7; i++)
{
    Try(() => policy.Put($"scratch/{i}", "x", runaway), quietWhenAllowed: true);
}

Console.WriteLine("audit trail (newest 12):");
foreach (AuditEntry entry in policy.Audit.Recent(limit: 12))
{
    Console.WriteLine($"  audit: {entry.Result,-11} {entry.Operation,-6} {entry.Key,-22} agent={entry.AgentId ?? "-"} rule={entry.Rule ?? "-"}");
}

AuditVerification chain = policy.Audit.Verify();
Console.WriteLine(chain.IsIntact
    ? $"audit chain: intact, {chain.EntriesChecked} decisions, head #{chain.HeadId}"
    : $"audit chain: BROKEN at #{chain.FirstBrokenId}: {chain.Problem}");

static void Try(Action operation, bool quietWhenAllowed = false)
{
    try
    {
        operation();
        if (!quietWhenAllowed)
        {
            Console.WriteLine("allowed");
        }
    }
    catch (PolicyViolationException e) when (e.Cause == PolicyRefusalCause.RateLimited)
    {
        Console.WriteLine($"rate limited: {e.Key} for {e.ScopeValue}, retry after {e.RetryAfter?.TotalSeconds:0.0}s");
    }
    catch (PolicyViolationException e)
    {
        Console.WriteLine($"denied: {e.Key} by {e.HandlerName} ({e.Pattern})");
    }
}
