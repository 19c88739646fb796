// An MCP server (stdio) exposing one agent's guarded memory: memory_read, memory_write, memory_delete, memory_list.
// Usage: McpMemoryServer [database-path] (default ./agent_memory.db); the agent id comes from SOCHDB_AGENT_ID.
using McpMemoryServer;
using ModelContextProtocol.Server;
using SochDb;
using SochDb.Policy;
using SochDb.Policy.AI;

string path = args.Length > 0 ? args[0] : "./agent_memory.db";
string agentId = Environment.GetEnvironmentVariable("SOCHDB_AGENT_ID") is { Length: > 0 } id ? id : "agent_001";

using Database database = Database.Open(path);
var engine = new PolicyEngine(database);
engine.Audit.Enable();
MemoryPolicies.Apply(engine);
var tools = new AgentMemoryTools(engine, new AgentMemoryOptions
{
    KeyPrefix = $"agents/{agentId}/",
    Context = new PolicyContext { AgentId = agentId },
});

// stdout carries the protocol, so the one human-readable line goes to stderr (MCP clients show it in their server log).
Console.Error.WriteLine(
    $"sochdb-memory: MCP server on stdio (JSON-RPC, one message a line, on stdin/stdout) for agent '{agentId}', memory in "
    + $"{Path.GetFullPath(path)}; tools memory_read, memory_write, memory_delete, memory_list. It waits for a client: "
    + "configure one as in samples/McpMemoryServer/README.md, or pipe in the three lines shown there. End of input stops it.");

await using McpServer server = MemoryServer.Create(new StdioServerTransport("sochdb-memory"), tools);
await server.RunAsync();
