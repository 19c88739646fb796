using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI.Tests;

/// <summary>The engine judges each call with the context the host's resolver builds from the invocation.</summary>
public sealed class ContextResolverTests
{
    [Fact]
    public async Task Resolver_ReadsTheHostsChatOptions_NotTheModelsArguments()
    {
        using var agent = new AgentHarness(configure: engine =>
            engine.BeforeWrite("agents/**", static (in PolicyRequest r) => r.Context.AgentId == "alice" && r.Context.SessionId == "conv-7"
                ? PolicyDecision.Allow
                : PolicyDecision.Deny($"unknown caller {r.Context.AgentId}/{r.Context.SessionId}"), "KnownCallersOnly"));
        MemoryToolInvocation? seen = null;
        var tools = new AgentMemoryTools(agent.Engine, new AgentMemoryOptions
        {
            KeyPrefix = AgentHarness.Prefix,
            ContextResolver = invocation =>
            {
                seen = invocation;
                ChatOptions options = invocation.FunctionInvocation!.Options!;
                return new PolicyContext { AgentId = (string)options.AdditionalProperties!["agent_id"]!, SessionId = (string?)options.AdditionalProperties["session_id"] };
            },
        });
        agent.Model.ThenCall("c1", "memory_write", """{"key":"notes/a","value":"x","agent_id":"root"}""")
            .ThenCall("c2", "memory_write", """{"key":"notes/a","value":"x"}""")
            .ThenSay("ok");
        var options = new ChatOptions
        {
            Tools = [.. tools.All],
            AdditionalProperties = new AdditionalPropertiesDictionary { ["agent_id"] = "alice", ["session_id"] = "conv-7" },
        };

        await agent.Client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], options);

        // The model's own "agent_id" argument is refused, not believed.
        Assert.Contains("\"argument\":\"agent_id\"", agent.Model.ResultSentToModel("c1"));
        Assert.Equal("""{"status":"ok","key":"notes/a"}""", agent.Model.ResultSentToModel("c2"));
        Assert.Equal("memory_write", seen!.ToolName);
        Assert.Equal(PolicyOperation.Write, seen.Operation);
        AuditEntry entry = agent.Engine.Audit.Recent().Single();
        Assert.Equal(("alice", "conv-7"), (entry.AgentId, entry.SessionId));
    }

    [Fact]
    public async Task ResolverThatThrows_RefusesTheCallUnrun()
    {
        using var agent = new AgentHarness();
        var tools = new AgentMemoryTools(agent.Engine, new AgentMemoryOptions
        {
            KeyPrefix = AgentHarness.Prefix,
            ContextResolver = _ => throw new InvalidOperationException("token expired for user 42"),
        });
        agent.Model.ThenCall("c1", "memory_write", """{"key":"notes/a","value":"x"}""").ThenSay("ok");

        await agent.Client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], new ChatOptions { Tools = [.. tools.All] });

        Assert.Equal("""{"status":"failed","key":"notes/a","committed":false,"reason":"the host could not establish who is calling; nothing was read or changed"}""",
            agent.Model.ResultSentToModel("c1"));
        Assert.Equal(0, agent.StoredCount);
    }

    [Fact]
    public void ToolsDescribeThemselvesWithAStrictSchema()
    {
        using var agent = new AgentHarness();
        Assert.Equal(["memory_read", "memory_write", "memory_delete", "memory_list"], agent.Tools.All.Select(t => t.Name));
        Assert.Equal(["key", "value"], agent.Tools.Write.JsonSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(agent.Tools.Write.JsonSchema.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(PolicyOperation.Delete, agent.Tools.Delete.Operation);
    }
}
