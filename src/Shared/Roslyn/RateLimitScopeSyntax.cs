namespace SochDb.Policy.Roslyn;

/// <summary>
/// The rate-limit scopes the runtime accepts (<c>RateLimitRule</c>'s scope constants): <c>global</c>, <c>agent_id</c>,
/// <c>session_id</c> or <c>item:NAME</c>; the generator and the analyzers check constant scopes with it, so a misspelt
/// scope fails the build instead of the type initializer.
/// </summary>
internal static class RateLimitScopeSyntax
{
    public const string Expected = "use \"global\", \"agent_id\", \"session_id\" or \"item:NAME\" for a custom context item";

    public static bool IsScope(string scope) =>
        scope is "global" or "agent_id" or "session_id"
        || (scope.StartsWith("item:", System.StringComparison.Ordinal) && scope.Substring(5).Trim().Length > 0);
}
