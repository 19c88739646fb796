using SochDb.Policy.Roslyn;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// What is wrong with a rate limit's arguments, worded once for both forms (SOCH0010): the <c>[RateLimit]</c>
/// attribute and the run-time <c>PolicyEngine.AddRateLimit</c> / <c>new RateLimitRule(...)</c>. Each returns
/// <see langword="null"/> when the value is valid; the checks mirror the runtime's.
/// </summary>
internal static class RateLimitProblems
{
    private const int OperationAll = 3;

    /// <summary><c>RateLimitRule</c> accepts Read (0) to All (3).</summary>
    public static string? Operation(int operation) =>
        operation < 0 || operation > OperationAll
            ? $"operation {operation} is not a PolicyOperation; use Read, Write, Delete or All"
            : null;

    /// <summary>
    /// <c>PolicyEngine.AddRateLimit(string, ...)</c> accepts "read", "write", "delete" or "all" after
    /// <c>ToLowerInvariant</c>, and throws on null.
    /// </summary>
    public static string? OperationName(string? operation)
    {
        if (operation is null)
        {
            return "operation is null; use \"read\", \"write\", \"delete\" or \"all\"";
        }

        switch (operation.ToLowerInvariant())
        {
            case "read":
            case "write":
            case "delete":
            case "all":
                return null;
            default:
                return $"operation \"{PatternDisplay.Shorten(operation)}\" is not an operation name; use \"read\", \"write\", \"delete\" or \"all\" (any case)";
        }
    }

    public static string? MaxPerMinute(int maxPerMinute) =>
        maxPerMinute <= 0
            ? $"maxPerMinute is {maxPerMinute}; it must be at least 1 (it is both the bucket's capacity and its refill per minute)"
            : null;

    /// <summary><paramref name="name"/> is how the argument is spelled: <c>Scope</c> on the attribute, <c>scope</c> at run time.</summary>
    public static string? Scope(string name, bool isNull, string? scope) =>
        isNull || string.IsNullOrWhiteSpace(scope)
            ? $"{name} is {(isNull ? "null" : "empty")}; {RateLimitScopeSyntax.Expected}"
            : !RateLimitScopeSyntax.IsScope(scope!)
                ? $"{name} \"{PatternDisplay.Shorten(scope!)}\" is not a scope; {RateLimitScopeSyntax.Expected}"
                : null;
}
