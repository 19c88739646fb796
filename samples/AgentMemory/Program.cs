// An agent with guarded memory, offline: a scripted model drives Microsoft.Extensions.AI's FunctionInvokingChatClient,
// whose memory tools go through a SochDb.Policy engine. It shows a denial the model reacts to, a redacted read, a
// human approval requested, granted and run exactly once, and a rate limit with retry-after.
using System.Text.Json;
using AgentMemory;
using Microsoft.Extensions.AI;
using SochDb;
using SochDb.Policy;
using SochDb.Policy.AI;

using Database store = Database.OpenInMemory();
var engine = new PolicyEngine(store, MemoryPolicies.Compiled);
engine.Audit.Enable();
store.Put("agents/alice/contacts/bob/email", "bob@example.com");

var alice = new PolicyContext { AgentId = "alice", SessionId = "demo" };
var memory = new AgentMemoryTools(engine, new AgentMemoryOptions
{
    KeyPrefix = "agents/alice/",
    Context = alice,
});
var model = new ScriptedModel();
IChatClient agent = new ChatClientBuilder(model)
    .UsePolicyApprovals(engine, approver: "dana")
    .UseFunctionInvocation()
    .Build();
var options = new ChatOptions { Tools = [.. memory.All] };
List<ChatMessage> history = [];

async Task<ChatResponse> Turn(string userText)
{
    Console.WriteLine($"user: {userText}");
    history.Add(new ChatMessage(ChatRole.User, userText));
    ChatResponse response = await agent.GetResponseAsync(history, options);
    history.AddRange(response.Messages);
    return response;
}

// 1. A denial the model reacts to, then a redacted read.
model.ThenCall("memory_write", """{"key":"system/config","value":"debug=true"}""");
model.Then(sent =>
{
    JsonElement result = ScriptedModel.LastResult(sent);
    Console.WriteLine($"  model  : refused ({result.GetProperty("reason").GetString()}); I'll keep it in my own notes instead");
    return model.Call("memory_write", """{"key":"notes/config","value":"debug=true"}""");
});
model.ThenCall("memory_read", """{"key":"contacts/bob/email"}""");
model.Then(_ => ScriptedModel.Say("Noted. Bob's e-mail address is hidden from me."));
await Turn("Turn on debug mode, and what is Bob's e-mail?");

// 2. An approval: requested, shown to a person, granted, run exactly once.
model.ThenCall("memory_write", """{"key":"shared/plan","value":"launch on Friday"}""");
ChatResponse asked = await Turn("Share the launch plan with the team.");
ToolApprovalRequestContent request = asked.Messages.SelectMany(m => m.Contents).OfType<ToolApprovalRequestContent>().Single();
ApprovalRequest pending = engine.Approvals.Pending.Single();
Console.WriteLine($"host: approval requested for {((FunctionCallContent)request.ToolCall).Name} on \"{pending.Key}\": {pending.Reason} (approval {pending.Id})");
Console.WriteLine("host: dana approves");
model.Then(_ => ScriptedModel.Say("The plan is shared."));
history.Add(new ChatMessage(ChatRole.User, [request.CreateResponse(approved: true)]));
ChatResponse approved = await agent.GetResponseAsync(history, options);
history.AddRange(approved.Messages);
Console.WriteLine($"store: agents/alice/shared/plan = \"{(store.TryGet("agents/alice/shared/plan", out byte[]? plan) ? System.Text.Encoding.UTF8.GetString(plan!) : "(absent)")}\"");
try
{
    engine.Approvals.Approve(pending.Id, "mallory");
}
catch (InvalidOperationException replay)
{
    Console.WriteLine($"replay: {replay.Message}");
}

// 3. A rate limit (5 writes a minute per agent) with retry-after: the model stops and says when it will retry.
// Every write call so far took a token when it was made, the refused one and the one held for approval too (limits
// are taken before any rule runs), so only part of the to-do list fits in this minute. Explain shows what is left
// without taking a token.
LimitExplanation writes = engine.Explain(PolicyOperation.Write, "agents/alice/notes/todo1", alice, "item 1"u8.ToArray()).Limits.Single();
Console.WriteLine($"host: {writes.TokensLeft} of alice's {writes.Limit.MaxPerMinute} writes a minute left: the earlier write calls "
    + "took the rest, the refused system write and the shared plan's approval request and approved write included "
    + "(limits are taken before the rules run)");
int next = 1;
int saved = 0;
ChatResponse WriteTodos(IReadOnlyList<ChatMessage> sent)
{
    if (next > 1 && ScriptedModel.LastResult(sent) is { } result)
    {
        if (result.GetProperty("status").GetString() == "rate_limited")
        {
            return ScriptedModel.Say($"I saved {saved} of the 3 items before the write limit ran out; "
                + $"I'll retry the rest in {result.GetProperty("retry_after_seconds").GetInt64()} s.");
        }

        saved++;
    }

    if (next > 3)
    {
        return ScriptedModel.Say("All saved.");
    }

    model.Then(WriteTodos);
    return model.Call("memory_write", $$"""{"key":"notes/todo{{next}}","value":"item {{next++}}"}""");
}

model.Then(WriteTodos);
await Turn("Add three to-do items.");

Console.WriteLine("audit:");
foreach (AuditEntry entry in engine.Audit.Recent())
{
    Console.WriteLine($"  {entry.Result,-16} {entry.Operation,-6} {entry.Key,-36} {entry.Reason ?? entry.Rule}");
}
