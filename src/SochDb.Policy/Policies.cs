using System;
using System.Text;

namespace SochDb.Policy;

/// <summary>Ready-made handlers for the run-time registration API (the seed SDKs' built-in policies).</summary>
public static class Policies
{
    /// <summary>Denies every matching operation.</summary>
    public static PolicyHandler DenyAll { get; } = static (in PolicyRequest _) => PolicyDecision.Deny("denied by Policies.DenyAll");

    /// <summary>Allows every matching operation (useful as an explicit, audited allow).</summary>
    public static PolicyHandler AllowAll { get; } = static (in PolicyRequest _) => PolicyDecision.Allow;

    /// <summary>Denies callers whose context has no (or an empty) agent id.</summary>
    public static PolicyHandler RequireAgentId { get; } = static (in PolicyRequest request) =>
        string.IsNullOrEmpty(request.Context.AgentId) ? PolicyDecision.Deny("an agent id is required") : PolicyDecision.Allow;

    /// <summary>Denies every matching operation with <paramref name="reason"/> (what violations and audit entries say).</summary>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is null, empty or blank.</exception>
    public static PolicyHandler Deny(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new Denier(reason).Handle;
    }

    /// <summary>Holds every matching operation for approval, with <paramref name="reason"/> (register on a before-trigger).</summary>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is null, empty or blank.</exception>
    public static PolicyHandler RequireApproval(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new ApprovalRequirement(reason).Handle;
    }

    /// <summary>
    /// Replaces the value with <paramref name="replacement"/> (register on AfterRead to redact what is returned, or on
    /// BeforeWrite to redact what is stored). The bytes are copied now, so later changes to the array have no effect.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="replacement"/> is null.</exception>
    public static PolicyHandler RedactValue(byte[] replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        return new Redactor((byte[])replacement.Clone()).Handle;
    }

    /// <summary>Replaces the value with the UTF-8 bytes of <paramref name="replacement"/> (default <c>[REDACTED]</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="replacement"/> is null.</exception>
    public static PolicyHandler RedactValue(string replacement = "[REDACTED]")
    {
        ArgumentNullException.ThrowIfNull(replacement);
        return new Redactor(Encoding.UTF8.GetBytes(replacement)).Handle;
    }

    /// <summary>The name a helper is registered under when the caller gives none; null for other handlers.</summary>
    internal static string? NameOf(Delegate handler)
    {
        if (ReferenceEquals(handler, DenyAll))
        {
            return "Policies.DenyAll";
        }

        if (ReferenceEquals(handler, AllowAll))
        {
            return "Policies.AllowAll";
        }

        if (ReferenceEquals(handler, RequireAgentId))
        {
            return "Policies.RequireAgentId";
        }

        return handler.Target switch
        {
            Redactor => "Policies.RedactValue",
            Denier => "Policies.Deny",
            ApprovalRequirement => "Policies.RequireApproval",
            _ => null,
        };
    }

    /// <summary>
    /// What a handler does, when it is one of these helpers (for the set analysis), and the action it stands for:
    /// two rules with the same action string do the same thing.
    /// </summary>
    internal static (Analysis.RuleEffect Effect, string? Action) EffectOf(PolicyHandler handler)
    {
        if (ReferenceEquals(handler, DenyAll) || handler.Target is Denier)
        {
            return (Analysis.RuleEffect.AlwaysDenies, "Deny");
        }

        if (ReferenceEquals(handler, AllowAll))
        {
            return (Analysis.RuleEffect.Decides, "Allow");
        }

        if (ReferenceEquals(handler, RequireAgentId))
        {
            return (Analysis.RuleEffect.Decides, "RequireAgentId");
        }

        return handler.Target switch
        {
            Redactor redactor => (Analysis.RuleEffect.Modifies, "Redact:" + Convert.ToHexString(redactor.Replacement)),
            ApprovalRequirement approval => (Analysis.RuleEffect.RequiresApproval, "RequireApproval:" + approval.Reason),
            _ => (Analysis.RuleEffect.Decides, null),
        };
    }

    private sealed class Denier(string reason)
    {
        public PolicyDecision Handle(in PolicyRequest request) => PolicyDecision.Deny(reason);
    }

    private sealed class ApprovalRequirement(string reason)
    {
        public string Reason { get; } = reason;

        public PolicyDecision Handle(in PolicyRequest request) => PolicyDecision.RequireApproval(Reason);
    }

    private sealed class Redactor
    {
        private readonly byte[] _replacement;

        public Redactor(byte[] replacement) => _replacement = replacement;

        public byte[] Replacement => _replacement;

        // The engine copies a modified value before handing it to a caller, so sharing one array is safe.
        public PolicyDecision Handle(in PolicyRequest request) => PolicyDecision.Modify(_replacement);
    }
}
