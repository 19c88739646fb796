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

        return handler.Target is Redactor ? "Policies.RedactValue" : null;
    }

    private sealed class Redactor
    {
        private readonly byte[] _replacement;

        public Redactor(byte[] replacement) => _replacement = replacement;

        // The engine copies a modified value before handing it to a caller, so sharing one array is safe.
        public PolicyDecision Handle(in PolicyRequest request) => PolicyDecision.Modify(_replacement);
    }
}
