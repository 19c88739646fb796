using System;
using System.Text;

namespace SochDb.Policy.Hosting;

/// <summary>The handlers behind the actions a configured rule can name.</summary>
internal static class ConfiguredActions
{
    public const string DefaultReplacement = "[REDACTED]";

    public static readonly string[] Names = { "Deny", "Allow", "RequireAgentId", "Redact", "RequireApproval" };

    /// <summary>The canonical spelling of <paramref name="action"/> (case-insensitive), or null when it is no action.</summary>
    public static string? Canonical(string action)
    {
        foreach (string name in Names)
        {
            if (string.Equals(name, action, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }

        return null;
    }

    public static PolicyHandler Create(string action, string ruleName, string? reason, string? replacement) => action switch
    {
        "Deny" => new Denier(reason ?? $"denied by configured rule '{ruleName}'").Handle,
        "Allow" => static (in PolicyRequest _) => PolicyDecision.Allow,
        "RequireAgentId" => new AgentIdRequirement(reason ?? "an agent id is required").Handle,
        "Redact" => new Redactor(Encoding.UTF8.GetBytes(replacement ?? DefaultReplacement)).Handle,
        "RequireApproval" => new ApprovalRequirement(reason ?? $"configured rule '{ruleName}' requires approval").Handle,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not a configured action."),
    };

    private sealed class Denier(string reason)
    {
        public PolicyDecision Handle(in PolicyRequest request) => PolicyDecision.Deny(reason);
    }

    private sealed class AgentIdRequirement(string reason)
    {
        public PolicyDecision Handle(in PolicyRequest request) =>
            string.IsNullOrEmpty(request.Context.AgentId) ? PolicyDecision.Deny(reason) : PolicyDecision.Allow;
    }

    private sealed class Redactor(byte[] replacement)
    {
        // The engine copies a modified value before handing it to a caller, so one array serves every call.
        public PolicyDecision Handle(in PolicyRequest request) => PolicyDecision.Modify(replacement);
    }

    private sealed class ApprovalRequirement(string reason)
    {
        public PolicyDecision Handle(in PolicyRequest request) => PolicyDecision.RequireApproval(reason);
    }
}
