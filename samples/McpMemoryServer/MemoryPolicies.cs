using SochDb.Policy;

namespace McpMemoryServer;

/// <summary>The rules this sample server runs under (the same ones the agent sample shows).</summary>
public static class MemoryPolicies
{
    public static void Apply(PolicyEngine engine)
    {
        engine.BeforeWrite("agents/*/system/**", static (in PolicyRequest _) => PolicyDecision.Deny("system notes are read-only for agents"), "SystemNotesReadOnly");
        engine.AfterRead("agents/*/contacts/*/email", Policies.RedactValue("[REDACTED]"), "RedactEmails");
        engine.AfterRead("agents/*/secrets/**", static (in PolicyRequest _) => PolicyDecision.Deny("secrets are never shown to agents"), "HideSecrets");
        engine.AddRateLimit(PolicyOperation.Write, 30, PolicyContext.AgentIdItem);
    }
}
