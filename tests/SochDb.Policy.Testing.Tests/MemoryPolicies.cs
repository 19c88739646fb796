using SochDb.Policy;

namespace SochDb.Policy.Testing.Tests;

/// <summary>The policies a user's application would ship: compiled by the source generator.</summary>
[RateLimit(PolicyOperation.Write, 3, Scope = "agent_id")]
public static partial class MemoryPolicies
{
    private static readonly byte[] Redacted = "[REDACTED]"u8.ToArray();

    [BeforeWrite("system/*")]
    private static PolicyDecision BlockAgentsFromSystem(in PolicyRequest request) =>
        request.Context.AgentId is null ? PolicyDecision.Allow : PolicyDecision.Deny("agents may not write system keys");

    [AfterRead("users/*/email")]
    private static PolicyDecision RedactEmails(in PolicyRequest request) =>
        request.Context.Has("redact_pii") ? PolicyDecision.Modify(Redacted) : PolicyDecision.Allow;
}
