using Microsoft.Extensions.AI;
using SochDb;

namespace SochDb.Policy.AI.Tests;

/// <summary>
/// Approvals through Microsoft.Extensions.AI: a rule's RequireApproval reaches the host as a tool-approval request,
/// and the host's answer decides whether the engine's pending operation runs (once) or never.
/// </summary>
public sealed class ApprovalFlowTests
{
    private const string SharedKey = "agents/alice/shared/plan";

    [Fact]
    public async Task ApprovalRoundTrip_RequestReachesTheHost_ApprovedCallRunsOnce_ModelSeesItsResult()
    {
        using var agent = new AgentHarness();
        agent.Model.ThenCall("c1", "memory_write", """{"key":"shared/plan","value":"launch on Friday"}""");
        List<ChatMessage> history = [new(ChatRole.User, "share the plan")];

        ChatResponse asked = await agent.ApprovingClient.GetResponseAsync(history, agent.Options);

        // The host gets an approval request in place of the call; nothing ran; the model has not been told anything.
        ToolApprovalRequestContent request = Assert.Single(asked.Messages.SelectMany(m => m.Contents).OfType<ToolApprovalRequestContent>());
        ApprovalRequest pending = Assert.Single(agent.Engine.Approvals.Pending);
        Assert.Equal(PolicyApprovalChatClient.RequestIdPrefix + pending.Id, request.RequestId);
        Assert.Equal("c1", ((FunctionCallContent)request.ToolCall).CallId);
        Assert.DoesNotContain(asked.Messages.SelectMany(m => m.Contents), c => c is FunctionResultContent or FunctionCallContent);
        Assert.Equal((SharedKey, "alice", "the team sees shared notes"), (pending.Key, pending.AgentId, pending.Reason));
        Assert.Null(agent.StoredValue(SharedKey));
        Assert.Single(agent.Model.Requests);

        history.AddRange(asked.Messages);
        history.Add(new ChatMessage(ChatRole.User, [request.CreateResponse(approved: true)]));
        agent.Model.ThenSay("shared");
        ChatResponse done = await agent.ApprovingClient.GetResponseAsync(history, agent.Options);

        Assert.Equal("""{"status":"ok","key":"shared/plan"}""", agent.Model.ResultSentToModel("c1"));
        Assert.Equal("launch on Friday", agent.StoredValue(SharedKey));
        Assert.Equal(ApprovalState.Executed, pending.State);
        Assert.Equal("dana", pending.DecidedBy);
        Assert.Equal(
            [(AuditResult.ApprovalRequired, $"approval {pending.Id} requested: the team sees shared notes"),
             (AuditResult.Allowed, $"approval {pending.Id} granted by dana; running it once"),
             (AuditResult.Allowed, (string?)null)],
            agent.AuditOf(SharedKey).Select(e => (e.Result, e.Reason)));

        // The host keeps the approval in its history: later turns run nothing again.
        history.AddRange(done.Messages);
        history.Add(new ChatMessage(ChatRole.User, "thanks"));
        agent.Model.ThenSay("you're welcome");
        await agent.ApprovingClient.GetResponseAsync(history, agent.Options);
        Assert.Equal(3, agent.AuditOf(SharedKey).Count);
    }

    [Fact]
    public async Task ApprovalRoundTrip_OverADatabaseFile_TheHostRestartsBetweenAskAndAnswer_TheCallRunsOnce()
    {
        string directory = Directory.CreateTempSubdirectory("sochdb-ai-approvals-").FullName;
        try
        {
            string path = Path.Combine(directory, "memory.db");
            List<ChatMessage> history = [new(ChatRole.User, "share the plan")];
            ToolApprovalRequestContent request;
            using (var before = new AgentHarness(Database.Open(path)))
            {
                before.Model.ThenCall("c1", "memory_write", """{"key":"shared/plan","value":"launch on Friday"}""");
                ChatResponse asked = await before.ApprovingClient.GetResponseAsync(history, before.Options);
                request = Assert.Single(asked.Messages.SelectMany(m => m.Contents).OfType<ToolApprovalRequestContent>());
                history.AddRange(asked.Messages);
            }

            // A new process: a new engine over the same file finds the request and runs it when the host approves.
            using var after = new AgentHarness(Database.Open(path));
            ApprovalRequest pending = Assert.Single(after.Engine.Approvals.Pending);
            Assert.Equal(PolicyApprovalChatClient.RequestIdPrefix + pending.Id, request.RequestId);
            history.Add(new ChatMessage(ChatRole.User, [request.CreateResponse(approved: true)]));
            after.Model.ThenSay("shared");

            await after.ApprovingClient.GetResponseAsync(history, after.Options);

            Assert.Equal("""{"status":"ok","key":"shared/plan"}""", after.Model.ResultSentToModel("c1"));
            Assert.Equal("launch on Friday", after.StoredValue(SharedKey));
            Assert.True(after.Engine.Approvals.TryGet(pending.Id, out ApprovalRequest? decided));
            Assert.Equal((ApprovalState.Executed, "dana"), (decided.State, decided.DecidedBy));
            Assert.Empty(after.Engine.Approvals.Pending);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task RejectedApproval_RunsNothing_EngineRequestIsRejected_ModelIsTold()
    {
        using var agent = new AgentHarness();
        agent.Model.ThenCall("c1", "memory_write", """{"key":"shared/plan","value":"launch on Friday"}""");
        List<ChatMessage> history = [new(ChatRole.User, "share the plan")];
        ChatResponse asked = await agent.ApprovingClient.GetResponseAsync(history, agent.Options);
        ToolApprovalRequestContent request = asked.Messages.SelectMany(m => m.Contents).OfType<ToolApprovalRequestContent>().Single();
        ApprovalRequest pending = agent.Engine.Approvals.Pending.Single();

        history.AddRange(asked.Messages);
        history.Add(new ChatMessage(ChatRole.User, [request.CreateResponse(approved: false, reason: "not before the board meets")]));
        agent.Model.ThenSay("ok, not shared");
        await agent.ApprovingClient.GetResponseAsync(history, agent.Options);

        Assert.Equal(ApprovalState.Rejected, pending.State);
        Assert.Equal("not before the board meets", pending.RejectionReason);
        Assert.Null(agent.StoredValue(SharedKey));
        Assert.Contains("rejected", agent.Model.ResultSentToModel("c1"));
        Assert.Contains("not before the board meets", agent.Model.ResultSentToModel("c1"));
        Assert.Equal(AuditResult.Denied, agent.AuditOf(SharedKey).Last().Result);
        Refusals.NotPending(() => agent.Engine.Approvals.Approve(pending.Id, "mallory"), pending.Id, ApprovalState.Rejected);
        Assert.Null(agent.StoredValue(SharedKey));
    }

    [Theory]
    [InlineData("expired", "has expired")]
    [InlineData("rejected", "was rejected")]
    [InlineData("used", "was already used")]
    public async Task ApprovalGrantedTooLate_RunsNothing_ModelIsToldWhereItStands(string decidedAs, string told)
    {
        using var agent = new AgentHarness();
        agent.Model.ThenCall("c1", "memory_write", """{"key":"shared/plan","value":"v"}""");
        List<ChatMessage> history = [new(ChatRole.User, "share")];
        ChatResponse asked = await agent.ApprovingClient.GetResponseAsync(history, agent.Options);
        ToolApprovalRequestContent request = asked.Messages.SelectMany(m => m.Contents).OfType<ToolApprovalRequestContent>().Single();
        string id = agent.Engine.Approvals.Pending.Single().Id;
        if (decidedAs == "expired")
        {
            agent.Clock.Advance(agent.Engine.Approvals.Lifetime);
        }
        else if (decidedAs == "rejected")
        {
            agent.Engine.Approvals.Reject(id, "decided on the desk", "erin");
        }
        else
        {
            agent.Engine.Approvals.Approve(id, "erin");
            agent.Store.Put("agents/alice/shared/plan"u8, "changed since"u8);
        }

        history.AddRange(asked.Messages);
        history.Add(new ChatMessage(ChatRole.User, [request.CreateResponse(approved: true)]));
        agent.Model.ThenSay("too late");
        await agent.ApprovingClient.GetResponseAsync(history, agent.Options);

        // The engine refused the late decision with InvalidOperationException; the tool read the state from the facet.
        Assert.Equal($$"""{"status":"denied","key":"shared/plan","reason":"approval {{id}} {{told}}; nothing was done"}""",
            agent.Model.ResultSentToModel("c1"));
        Assert.Equal(decidedAs == "used" ? "changed since" : null, agent.StoredValue(SharedKey));
    }

    [Fact]
    public async Task WithoutTheApprovalClient_TheModelReceivesApprovalRequired_AndTheHostCanApproveOutOfBand()
    {
        using var agent = new AgentHarness();

        string json = await agent.CallOnceAsync("memory_write", """{"key":"shared/plan","value":"launch on Friday"}""");

        ApprovalRequest pending = agent.Engine.Approvals.Pending.Single();
        Assert.Equal($$"""{"status":"approval_required","key":"shared/plan","reason":"the team sees shared notes; nothing was done yet, and it runs once if approved","rule":"[BeforeWrite(\"agents/*/shared/**\")] ApproveSharing","approval_id":"{{pending.Id}}","expires_at":"2026-12-01T12:30:00Z"}""", json);
        Assert.Null(agent.StoredValue(SharedKey));

        agent.Engine.Approvals.Approve(pending.Id, "dana");
        Assert.Equal("launch on Friday", agent.StoredValue(SharedKey));
    }
}
