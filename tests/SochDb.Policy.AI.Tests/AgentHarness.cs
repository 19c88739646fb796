using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SochDb;

namespace SochDb.Policy.AI.Tests;

/// <summary>
/// One agent ("alice", prefix <c>agents/alice/</c>) with guarded memory tools over an in-memory store, a fake clock,
/// audit on, and a real <see cref="FunctionInvokingChatClient"/> over a scripted model.
/// </summary>
internal sealed class AgentHarness : IDisposable
{
    public const string Prefix = "agents/alice/";
    public const string SecretValue = "hunter2-the-launch-code";

    public AgentHarness(IKeyValueStore? store = null, Action<PolicyEngine>? configure = null, AgentMemoryOptions? options = null,
        RateLimitBackend? limitBackend = null)
    {
        Store = store ?? Database.OpenInMemory();
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        Engine = new PolicyEngine(Store, new PolicyEngineOptions { TimeProvider = Clock, RateLimitBackend = limitBackend });
        Engine.Audit.Enable();
        (configure ?? StandardPolicies)(Engine);
        Tools = new AgentMemoryTools(Engine, options ?? new AgentMemoryOptions
        {
            KeyPrefix = Prefix,
            Context = new PolicyContext { AgentId = "alice", SessionId = "s1" },
        });
        Model = new ScriptedChatClient();
        Client = new ChatClientBuilder(Model).UseFunctionInvocation().Build();
        ApprovingClient = new ChatClientBuilder(Model).UsePolicyApprovals(Engine, approver: "dana").UseFunctionInvocation().Build();
    }

    public IKeyValueStore Store { get; }

    public FakeTimeProvider Clock { get; }

    public PolicyEngine Engine { get; }

    public AgentMemoryTools Tools { get; }

    public ScriptedChatClient Model { get; }

    public IChatClient Client { get; }

    /// <summary>The same model behind the approval client: approvals surface as tool-approval requests.</summary>
    public IChatClient ApprovingClient { get; }

    public ChatOptions Options => new() { Tools = [.. Tools.All] };

    /// <summary>The rules most tests run under.</summary>
    public static void StandardPolicies(PolicyEngine engine)
    {
        engine.BeforeWrite("agents/*/system/**", static (in PolicyRequest _) => PolicyDecision.Deny("system notes are read-only for agents"), "SystemNotesReadOnly");
        engine.AfterRead("agents/*/contacts/*/email", Policies.RedactValue("[REDACTED]"), "RedactEmails");
        engine.AfterRead("agents/*/secrets/**", static (in PolicyRequest _) => PolicyDecision.Deny("secrets are never shown to agents"), "HideSecrets");
        engine.BeforeWrite("agents/*/shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees shared notes"), "ApproveSharing");
        engine.BeforeWrite("agents/*/fragile", static (in PolicyRequest _) => throw new InvalidOperationException("internal detail: connection string Server=db;Password=pw"), "FragileRule");
    }

    /// <summary>Seeds a value straight into the store (not through the engine).</summary>
    public void Seed(string key, string value) => Store.Put(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));

    public string? StoredValue(string key) =>
        Store.TryGet(Encoding.UTF8.GetBytes(key), out byte[]? value) ? Encoding.UTF8.GetString(value) : null;

    /// <summary>The audit entries for one store key, oldest first.</summary>
    public List<AuditEntry> AuditOf(string key) => Engine.Audit.Recent(1000).Where(e => e.Key == key).ToList();

    public int StoredCount => Store.Scan(ReadOnlySpan<byte>.Empty).Count();

    /// <summary>The model calls <paramref name="tool"/> once, then answers; returns the JSON it received for the call.</summary>
    public async Task<string> CallOnceAsync(string tool, string argumentsJson)
    {
        string callId = "call-" + (Model.Requests.Count + 1);
        Model.ThenCall(callId, tool, argumentsJson).ThenSay("done");
        await Client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], Options);
        return Model.ResultSentToModel(callId);
    }

    public void Dispose() => Store.Dispose();
}
