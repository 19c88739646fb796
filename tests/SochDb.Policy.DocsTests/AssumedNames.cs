namespace SochDb.Policy.DocsTests;

/// <summary>
/// The names a documented snippet may use without declaring them, as prose does ("given an engine <c>policy</c>"),
/// and what the test declares for each. A snippet that uses one of these names without declaring it gets this
/// declaration; any other undeclared name is an error. A declaration is added only when the snippet needs it, so a
/// snippet that declares the name itself is compiled as written. Declarations use full names: they compile whatever
/// usings the snippet has.
/// </summary>
internal static class AssumedNames
{
    /// <summary>A declaration placed before the snippet's statements (a local or a local function).</summary>
    public static IReadOnlyDictionary<string, string> Statements { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["policy"] = "global::SochDb.Policy.PolicyEngine policy = null!;",
        ["engine"] = "global::SochDb.Policy.PolicyEngine engine = null!;",
        ["db"] = "global::SochDb.Database db = null!;",
        ["agent"] = "global::SochDb.Policy.PolicyContext agent = new();",
        ["alice"] = "global::SochDb.Policy.PolicyContext alice = new() { AgentId = \"alice\" };",
        ["model"] = "global::Microsoft.Extensions.AI.IChatClient model = null!;",
        ["history"] = "global::System.Collections.Generic.List<global::Microsoft.Extensions.AI.ChatMessage> history = [];",
        ["builder"] = "global::Microsoft.AspNetCore.Builder.WebApplicationBuilder builder = global::Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();",
        ["store"] = "global::SochDb.IKeyValueStore store = null!;",
        ["connectionString"] = "string connectionString = \"Host=db;Database=agents\";",
        ["sqliteAuditSink"] = "global::SochDb.Policy.SqliteAuditSink sqliteAuditSink = null!;",
        ["services"] = "global::Microsoft.Extensions.DependencyInjection.IServiceCollection services = null!;",
        ["loggerFactory"] = "global::Microsoft.Extensions.Logging.ILoggerFactory loggerFactory = null!;",
        ["secretFromYourVault"] = "byte[] secretFromYourVault = new byte[32];",
        ["BlockSystem"] = "static global::SochDb.Policy.PolicyDecision BlockSystem(in global::SochDb.Policy.PolicyRequest request) => global::SochDb.Policy.PolicyAction.Deny;",
    };

    /// <summary>A type declaration placed after the snippet's own.</summary>
    public static IReadOnlyDictionary<string, string> Types { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AgentPolicies"] = PolicyClass("AgentPolicies"),
        ["NewPolicies"] = PolicyClass("NewPolicies"),
        ["MyPolicies"] = PolicyClass("MyPolicies"),
        ["MyExporterSink"] = """
            public sealed class MyExporterSink() : global::SochDb.Policy.AuditSink("my-exporter")
            {
                public override void Write(global::System.Collections.Generic.IReadOnlyList<global::SochDb.Policy.AuditEntry> batch) { }
            }
            """,
        ["Quotas"] = """
            public static class Quotas
            {
                public static global::System.Threading.Tasks.Task<bool> IsExceededAsync(string key) => global::System.Threading.Tasks.Task.FromResult(false);
            }
            """,
        ["QuotaCache"] = """
            public static class QuotaCache
            {
                public static bool IsExceeded(string? agentId) => false;
            }
            """,
    };

    private static string PolicyClass(string name) => $$"""
        public static partial class {{name}}
        {
            [global::SochDb.Policy.BeforeWrite("system/**")]
            static global::SochDb.Policy.PolicyAction DenySystemWrites(in global::SochDb.Policy.PolicyRequest request) => global::SochDb.Policy.PolicyAction.Deny;
        }
        """;
}
