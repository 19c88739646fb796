using System.IO.Pipelines;
using System.Text.Json;
using McpMemoryServer;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SochDb;

namespace SochDb.Policy.AI.Tests;

/// <summary>The MCP sample server, driven in-process by a real MCP client over pipes (no network).</summary>
public sealed class McpServerTests
{
    [Fact]
    public async Task McpRoundTrip_AllowedCallSucceeds_DeniedCallIsAnErrorCarryingTheReason()
    {
        using var agent = new AgentHarness(configure: MemoryPolicies.Apply);
        agent.Seed("agents/alice/secrets/pin", AgentHarness.SecretValue);
        var clientToServer = new Pipe();
        var serverToClient = new Pipe();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using McpServer server = MemoryServer.Create(
            new StreamServerTransport(clientToServer.Reader.AsStream(), serverToClient.Writer.AsStream(), "test-server"), agent.Tools);
        Task serving = server.RunAsync(stop.Token);

        await using (McpClient client = await McpClient.CreateAsync(
            new StreamClientTransport(clientToServer.Writer.AsStream(), serverToClient.Reader.AsStream()), cancellationToken: stop.Token))
        {
            IList<McpClientTool> tools = await client.ListToolsAsync(cancellationToken: stop.Token);
            Assert.Equal(["memory_delete", "memory_list", "memory_read", "memory_write"], tools.Select(t => t.Name).Order());
            Assert.Contains("\"key\"", tools.Single(t => t.Name == "memory_write").JsonSchema.GetRawText());

            CallToolResult written = await client.CallToolAsync("memory_write",
                new Dictionary<string, object?> { ["key"] = "notes/a", ["value"] = "hello" }, cancellationToken: stop.Token);
            Assert.NotEqual(true, written.IsError);
            Assert.Equal("""{"status":"ok","key":"notes/a"}""", Text(written));

            CallToolResult denied = await client.CallToolAsync("memory_write",
                new Dictionary<string, object?> { ["key"] = "system/config", ["value"] = "x" }, cancellationToken: stop.Token);
            Assert.True(denied.IsError);
            Assert.Equal("""{"status":"denied","key":"system/config","reason":"system notes are read-only for agents","rule":"[BeforeWrite(\"agents/*/system/**\")] SystemNotesReadOnly"}""", Text(denied));
            Assert.Equal("denied", denied.StructuredContent!.Value.GetProperty("status").GetString());

            CallToolResult secret = await client.CallToolAsync("memory_read",
                new Dictionary<string, object?> { ["key"] = "secrets/pin" }, cancellationToken: stop.Token);
            Assert.True(secret.IsError);
            Assert.DoesNotContain(AgentHarness.SecretValue, Text(secret));

            CallToolResult escape = await client.CallToolAsync("memory_read",
                new Dictionary<string, object?> { ["key"] = "../bob/notes" }, cancellationToken: stop.Token);
            Assert.True(escape.IsError);
            Assert.Contains("\"status\":\"invalid_argument\"", Text(escape));
        }

        Assert.Equal("hello", agent.StoredValue("agents/alice/notes/a"));
        Assert.Null(agent.StoredValue("agents/alice/system/config"));
        await stop.CancelAsync();
        clientToServer.Writer.Complete();
        try
        {
            await serving;
        }
        catch (OperationCanceledException)
        {
            // The server stops when its token is cancelled.
        }
    }

    [Fact]
    public async Task McpWriteNeedingApproval_WaitsInTheDatabaseFile_AndAnotherProcessApprovesIt()
    {
        string directory = Directory.CreateTempSubdirectory("sochdb-mcp-approvals-").FullName;
        try
        {
            string path = Path.Combine(directory, "memory.db");
            using var agent = new AgentHarness(Database.Open(path), engine =>
            {
                MemoryPolicies.Apply(engine);
                engine.BeforeWrite("agents/*/shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees shared notes"), "ApproveSharing");
            });
            var clientToServer = new Pipe();
            var serverToClient = new Pipe();
            using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await using McpServer server = MemoryServer.Create(
                new StreamServerTransport(clientToServer.Reader.AsStream(), serverToClient.Writer.AsStream(), "test-server"), agent.Tools);
            Task serving = server.RunAsync(stop.Token);
            string approvalId;
            await using (McpClient client = await McpClient.CreateAsync(
                new StreamClientTransport(clientToServer.Writer.AsStream(), serverToClient.Reader.AsStream()), cancellationToken: stop.Token))
            {
                CallToolResult pending = await client.CallToolAsync("memory_write",
                    new Dictionary<string, object?> { ["key"] = "shared/plan", ["value"] = "launch" }, cancellationToken: stop.Token);
                Assert.True(pending.IsError);
                Assert.Equal("approval_required", pending.StructuredContent!.Value.GetProperty("status").GetString());
                approvalId = pending.StructuredContent!.Value.GetProperty("approval_id").GetString()!;
            }

            // Another process (a person's dashboard) over the same file sees the request and approves it.
            using (Database shared = Database.Open(path))
            using (var desk = new PolicyEngine(shared, new PolicyEngineOptions { TimeProvider = agent.Clock }))
            {
                Assert.Equal(approvalId, Assert.Single(desk.Approvals.Pending).Id);
                desk.Approvals.Approve(approvalId, "dana");
            }

            Assert.Equal("launch", agent.StoredValue("agents/alice/shared/plan"));
            await stop.CancelAsync();
            clientToServer.Writer.Complete();
            try
            {
                await serving;
            }
            catch (OperationCanceledException)
            {
                // The server stops when its token is cancelled.
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
}
