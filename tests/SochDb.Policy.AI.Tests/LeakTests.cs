using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI.Tests;

/// <summary>A value the agent may not read never appears in anything the model or the host is sent.</summary>
public sealed class LeakTests
{
    [Fact]
    public async Task SecretUnderADeniedKey_NeverAppearsInAnyMessage()
    {
        using var agent = new AgentHarness();
        agent.Seed("agents/alice/secrets/launch", AgentHarness.SecretValue);
        agent.Model
            .ThenCall("c1", "memory_read", """{"key":"secrets/launch"}""")
            .ThenCall("c2", "memory_list", """{"prefix":"secrets/"}""")
            .ThenCall("c3", "memory_read", """{"key":"secrets/../secrets/launch"}""")
            .ThenSay("I cannot see it.");

        ChatResponse response = await agent.Client.GetResponseAsync([new ChatMessage(ChatRole.User, "what is the launch code?")], agent.Options);

        Assert.Equal("""{"status":"denied","key":"secrets/launch","reason":"secrets are never shown to agents","rule":"[AfterRead(\"agents/*/secrets/**\")] HideSecrets"}""",
            agent.Model.ResultSentToModel("c1"));
        Assert.Equal("""{"status":"ok","prefix":"secrets/","keys":[],"truncated":false}""", agent.Model.ResultSentToModel("c2"));
        Assert.DoesNotContain(AgentHarness.SecretValue, agent.Model.EverythingSent());
        Assert.DoesNotContain(AgentHarness.SecretValue, string.Join("\n", response.Messages.Select(ScriptedChatClient.Render)));
    }
}
