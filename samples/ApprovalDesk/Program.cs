// Two processes, one SQLite file:
//   dotnet run --project samples/ApprovalDesk -- agent desk.db     an agent works; three writes wait for approval
//   dotnet run --project samples/ApprovalDesk -- desk desk.db [url] the dashboard where a person approves or rejects them
// The requests wait in the file (table sochdb_approvals), so the agent may exit, or crash, before anyone decides.
using ApprovalDesk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SochDb;
using SochDb.Policy;
using SochDb.Policy.Dashboard;

if (args.Length < 2 || args[0] is not ("agent" or "desk"))
{
    Console.Error.WriteLine("usage: ApprovalDesk agent <db> | desk <db> [url]");
    return 2;
}

string path = args[1];
using Database store = Database.Open(path);

if (args[0] == "agent")
{
    // The agent's decision log: the default table of the file (one writing process per table).
    using SqliteAuditSink log = SqliteAuditSink.Open(path);
    using var engine = new PolicyEngine(store);
    engine.Audit.Enable(new AuditOptions { Sinks = [log], MaskedKeys = DeskPolicies.MaskedKeys });
    DeskPolicies.Apply(engine);
    var agent = new PolicyContext { AgentId = "research-agent", SessionId = "run-1" };
    engine.Put("notes/today", "read three papers", agent);
    engine.Put("notes/ideas", "approvals should survive restarts", agent);
    foreach ((string key, string value) in new[]
    {
        ("shared/plan", "launch the beta on Friday"),
        ("shared/customers/acme", "renewal at risk; call before the 15th"),
        ("vault/api-key", "sk-live-0000"),
    })
    {
        try
        {
            engine.Put(key, value, agent);
        }
        catch (PolicyViolationException pending) when (pending.Approval is { } request)
        {
            Console.WriteLine($"waiting for approval {request.Id}: {engine.Approvals.KeyForDisplay(request)}");
        }
    }

    engine.Audit.Flush();
    Console.WriteLine($"{engine.Approvals.Pending.Count} requests wait in {Path.GetFullPath(path)}; start the desk to decide them.");
    return 0;
}

// The desk: its own engine over the same file (same rules), its own decision log table, and the agent's log to show.
using SqliteAuditSink deskLog = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { TableName = "sochdb_audit_desk" });
using SqliteAuditSink agentLog = SqliteAuditSink.Open(path);
using var desk = new PolicyEngine(store);
desk.Audit.Enable(new AuditOptions { Sinks = [deskLog], MaskedKeys = DeskPolicies.MaskedKeys });
DeskPolicies.Apply(desk);

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls(args.Length > 2 ? args[2] : "http://127.0.0.1:5080");
builder.Services.AddAntiforgery();
WebApplication app = builder.Build();
app.UseAntiforgery();
// A desk on this machine only; a shared deployment sets AuthorizationPolicy instead.
app.MapPolicyDashboard("/policy", desk, options =>
{
    options.AllowAnonymousLocalRequests = true;
    options.DecisionLog = agentLog;
});
app.MapGet("/", () => Results.Redirect("/policy/"));
Console.WriteLine($"The desk is at {(args.Length > 2 ? args[2] : "http://127.0.0.1:5080")}/policy/ (Ctrl+C to stop).");
app.Run();
return 0;
