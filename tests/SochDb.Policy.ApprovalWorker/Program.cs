// Usage: dotnet SochDb.Policy.ApprovalWorker.dll request <database path> <key>
//   Opens the database, asks to write <key> (a rule requires approval), prints "requested <id>" once the request is
//   stored, then waits to be killed.
//
// Usage: dotnet SochDb.Policy.ApprovalWorker.dll approve <database path> <id> <approver>
//   Opens the database, prints "ready", waits for a line on stdin (so racing processes start together), then approves
//   <id> (ApproveAsync: the store's asynchronous members, the engine's asynchronous pipeline). Prints "approved"
//   (exit 0), "not-pending <state>" (exit 3) or "error <type>" (exit 4).
//
// With SOCHDB_POSTGRES set (an Npgsql connection string), the data and the approval requests are in PostgreSQL
// instead: tables SOCHDB_DATA_TABLE and SOCHDB_APPROVALS_TABLE; <database path> then only names the audit files.
//
// Both modes guard the store with the same rule, as two deployments of one app would, and audit into a file of
// their own beside it (<db>.<requester|approver>.audit; a SQLite decision log has one writing process).
using System.Text;
using SochDb;
using SochDb.Policy;
using SochDb.Policy.PostgreSql;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: request <db> <key> | approve <db> <id> <approver>");
    return 2;
}

string? postgres = Environment.GetEnvironmentVariable("SOCHDB_POSTGRES");
using IKeyValueStore store = postgres is null
    ? Database.Open(args[1])
    : PostgresStore.Open(postgres, new PostgresStoreOptions { TableName = Environment.GetEnvironmentVariable("SOCHDB_DATA_TABLE")! });
using PostgresApprovalStore? approvals = postgres is null ? null : PostgresApprovalStore.Open(postgres, Environment.GetEnvironmentVariable("SOCHDB_APPROVALS_TABLE")!);
using SqliteAuditSink sink = SqliteAuditSink.Open($"{args[1]}.{(args[0] == "request" ? "requester" : args[3])}.audit");
using var engine = new PolicyEngine(store, new PolicyEngineOptions { ApprovalStore = approvals });
engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
engine.BeforeWrite("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees it"), "ApproveSharing");
using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };

if (args[0] == "request")
{
    try
    {
        engine.Put(args[2], "launch", new PolicyContext { AgentId = "worker", SessionId = "s1" });
        output.WriteLine("written");
        return 1;
    }
    catch (PolicyViolationException pending) when (pending.Approval is { } request)
    {
        // The test kills this process as soon as it reads the id: the request's decision entry is written first (the
        // queue's writer would otherwise race the kill).
        engine.Audit.Flush();
        output.WriteLine("requested " + request.Id);
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }
}

output.WriteLine("ready");
_ = Console.ReadLine();
try
{
    await engine.Approvals.ApproveAsync(args[2], args[3]);
    engine.Audit.Flush();
    output.WriteLine("approved");
    return 0;
}
catch (InvalidOperationException refused) when (refused.GetType().Name == "ApprovalNotPendingException")
{
    // Not pending: the approvals facet says where the request stands (nothing when the id is unknown).
    engine.Audit.Flush();
    output.WriteLine("not-pending " + (engine.Approvals.TryGet(args[2], out ApprovalRequest? request) ? request.State.ToString() : ""));
    return 3;
}
catch (Exception e)
{
    output.WriteLine("error " + e.GetType().Name + ": " + e.Message);
    return 4;
}
