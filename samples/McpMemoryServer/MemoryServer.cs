using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SochDb.Policy.AI;

namespace McpMemoryServer;

/// <summary>Builds an MCP server that exposes an agent's guarded memory tools over any transport.</summary>
public static class MemoryServer
{
    public static McpServer Create(ITransport transport, AgentMemoryTools tools)
    {
        var collection = new McpServerPrimitiveCollection<McpServerTool>();
        foreach (MemoryTool tool in new[] { tools.Read, tools.Write, tools.Delete, tools.List })
        {
            collection.Add(new GuardedMcpTool(tool));
        }

        return McpServer.Create(transport, new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "sochdb-memory", Version = "0.1.0" },
            ToolCollection = collection,
        });
    }
}
