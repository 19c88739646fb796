namespace SochDb.Policy.Generators.Tests;

/// <summary>Representative policy classes shared by the snapshot, code-shape and incremental tests.</summary>
internal static class TestSources
{
    public const string DesignSample = """
        using SochDb.Policy;

        namespace AgentGuard;

        public static partial class AgentPolicies
        {
            [BeforeWrite("system/*")]
            static PolicyAction BlockSystemWrites(in PolicyRequest request) =>
                request.Context.AgentId is null ? PolicyAction.Allow : PolicyAction.Deny;

            static readonly byte[] Redacted = "[REDACTED]"u8.ToArray();

            [AfterRead("users/*/email")]
            static PolicyDecision RedactEmails(in PolicyRequest request) =>
                request.Context.Has("redact_pii") ? PolicyDecision.Modify(Redacted) : PolicyDecision.Allow;
        }
        """;

    public const string ClassLevelAndOrdering = """
        using System;
        using SochDb.Policy;

        namespace Contoso.Agents
        {
            public static partial class Outer
            {
                [DenyAll(PolicyTrigger.BeforeDelete, "audit/**")]
                [RequireAgentId(PolicyTrigger.BeforeWrite, "**")]
                [Redact("users/*/ssn", "***")]
                [RateLimit(PolicyOperation.Write, 100, Scope = "agent_id")]
                [RateLimit(PolicyOperation.All, 1000)]
                internal static partial class Inner
                {
                    [BeforeWrite("config/*.{json,yaml}", Order = -1)]
                    private static PolicyDecision ValidateConfig(in PolicyRequest request) =>
                        request.Value.IsEmpty ? PolicyDecision.Deny("empty config") : PolicyDecision.Allow;

                    [BeforeRead("users/**")]
                    [BeforeRead("**/secret")]
                    private static PolicyAction GuardReads(PolicyRequest request) =>
                        request.Context.Has("admin") ? PolicyAction.Allow : PolicyAction.Deny;

                    [BeforeWrite("logs/[0-9]*/entry")]
                    public static PolicyAction SeedShaped(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context) =>
                        PolicyAction.Allow;

                    [AfterWrite("*.json")]
                    private static void Written(in PolicyRequest request)
                    {
                    }

                    [AfterRead("users/*/email", Order = 5)]
                    private static PolicyDecision Mask(in PolicyRequest request) => PolicyDecision.Modify(new byte[] { 42 });
                }
            }
        }
        """;

    public const string ManyTenants = """
        using SochDb.Policy;

        public partial class TenantPolicies
        {
            [BeforeWrite("alpha/*")]
            [BeforeWrite("bravo/*")]
            [BeforeWrite("delta/*")]
            [BeforeWrite("echo/*")]
            [BeforeWrite("golf/*")]
            [BeforeWrite("hotel/*")]
            [BeforeWrite("tenant-a/data/*")]
            [BeforeWrite("tenant-b/data/*")]
            [BeforeWrite("prefix-*-suffix")]
            static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
        }
        """;

    /// <summary>
    /// The shapes real policies mix: wildcard-first segments (<c>*.json</c>, <c>*-draft</c>), a wildcard between
    /// literals, a leading <c>**/</c>, braces at the root, a character class; enough of them at the root that the
    /// planner files them by anchor (suffix, segment, last segment) instead of testing each on every key.
    /// </summary>
    public const string MixedShapes = """
        using SochDb.Policy;

        namespace Shapes;

        public static partial class MixedPolicies
        {
            [BeforeWrite("*.json")]
            [BeforeWrite("*.{yaml,yml}")]
            [BeforeWrite("*-draft")]
            [BeforeWrite("report-*")]
            [BeforeWrite("*/cache/*")]
            [BeforeWrite("**/secret")]
            [BeforeWrite("**/*.key")]
            [BeforeWrite("{a,b}17/*")]
            [BeforeWrite("[a-c]*/tmp/**")]
            [BeforeWrite("users/*/email")]
            [BeforeWrite("*")]
            static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
        }
        """;

    /// <summary>
    /// Wildcard-first rules that share the four bytes a suffix anchor compares (<c>.log</c>): the planner files the
    /// longer literals one level down, by the bytes before those four, so a key meets its own rule.
    /// </summary>
    public const string CrowdedAnchors = """
        using SochDb.Policy;

        namespace Shapes;

        public static partial class CrowdedPolicies
        {
            [BeforeWrite("*.log")]
            [BeforeWrite("*-1.log")]
            [BeforeWrite("*-2.log")]
            [BeforeWrite("*-3.log")]
            [BeforeWrite("*-4.log")]
            [BeforeWrite("*-10.log")]
            [BeforeWrite("*.json")]
            static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
        }
        """;
}
