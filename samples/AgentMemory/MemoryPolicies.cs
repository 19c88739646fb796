using SochDb.Policy;

namespace AgentMemory;

/// <summary>The rules the agent's memory runs under, compiled by the source generator into <c>MemoryPolicies.Compiled</c>.</summary>
[RateLimit(PolicyOperation.Write, 5, Scope = "agent_id")]
[RequireApproval(PolicyTrigger.BeforeWrite, "agents/*/shared/**", "the team sees shared notes, so a person approves each one")]
public static partial class MemoryPolicies
{
    private static readonly byte[] Redacted = "[REDACTED]"u8.ToArray();

    /// <summary>Agents may read their system notes but never change them.</summary>
    [BeforeWrite("agents/*/system/**")]
    private static PolicyDecision SystemNotesReadOnly(in PolicyRequest request) =>
        PolicyDecision.Deny("system notes are read-only for agents");

    /// <summary>Contacts' e-mail addresses are never shown to an agent.</summary>
    [AfterRead("agents/*/contacts/*/email")]
    private static PolicyDecision RedactEmails(in PolicyRequest request) => PolicyDecision.Modify(Redacted);
}
