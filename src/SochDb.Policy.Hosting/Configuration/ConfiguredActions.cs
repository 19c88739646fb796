using System;

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

    /// <remarks>Deny, Allow, Redact and RequireApproval are the core's helpers, so the engine's analysis knows what they do.</remarks>
    public static PolicyHandler Create(string action, string ruleName, string? reason, string? replacement) => action switch
    {
        "Deny" => Policies.Deny(reason ?? $"denied by configured rule '{ruleName}'"),
        "Allow" => Policies.AllowAll,
        "RequireAgentId" => new AgentIdRequirement(reason ?? "an agent id is required").Handle,
        "Redact" => Policies.RedactValue(replacement ?? DefaultReplacement),
        "RequireApproval" => Policies.RequireApproval(reason ?? $"configured rule '{ruleName}' requires approval"),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not a configured action."),
    };

    private sealed class AgentIdRequirement(string reason)
    {
        public PolicyDecision Handle(in PolicyRequest request) =>
            string.IsNullOrEmpty(request.Context.AgentId) ? PolicyDecision.Deny(reason) : PolicyDecision.Allow;
    }
}
