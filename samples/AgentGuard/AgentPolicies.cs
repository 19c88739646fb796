using SochDb.Policy;

namespace AgentGuard;

/// <summary>The two policies of the README, compiled by the source generator into <c>AgentPolicies.Compiled</c>.</summary>
public static partial class AgentPolicies
{
    private static readonly byte[] Redacted = "[REDACTED]"u8.ToArray();

    [BeforeWrite("system/*")]
    private static PolicyAction BlockSystemWrites(in PolicyRequest request) =>
        request.Context.AgentId is null ? PolicyAction.Allow : PolicyAction.Deny;

    [AfterRead("users/*/email")]
    private static PolicyDecision RedactEmails(in PolicyRequest request) =>
        request.Context.Has("redact_pii") ? PolicyDecision.Modify(Redacted) : PolicyDecision.Allow;
}
