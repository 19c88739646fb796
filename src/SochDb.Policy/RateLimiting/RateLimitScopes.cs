using System;

namespace SochDb.Policy;

/// <summary>
/// The rate-limit scopes' words and their check (public as <see cref="RateLimitRule"/>'s constants). Any other word is
/// refused, so a misspelt <c>agentid</c> cannot silently become one bucket shared by every caller.
/// </summary>
internal static class RateLimitScopes
{
    /// <summary>One bucket for every caller.</summary>
    public const string Global = "global";

    /// <summary>One bucket per <see cref="PolicyContext.AgentId"/> (callers without one share a bucket).</summary>
    public const string AgentId = PolicyContext.AgentIdItem;

    /// <summary>One bucket per <see cref="PolicyContext.SessionId"/> (callers without one share a bucket).</summary>
    public const string SessionId = PolicyContext.SessionIdItem;

    /// <summary>The prefix of a custom context item's scope: <c>item:tenant</c> is one bucket per <c>tenant</c> value.</summary>
    public const string ItemPrefix = "item:";

    /// <summary>The scope of one bucket per value of the context item <paramref name="name"/> (<c>item:NAME</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or blank.</exception>
    public static string Item(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return ItemPrefix + name;
    }

    /// <summary>What is wrong with <paramref name="scope"/>, or null when it is a scope.</summary>
    internal static string? Problem(string? scope)
    {
        const string Valid = "use \"global\", \"agent_id\", \"session_id\" or \"item:NAME\" for a custom context item (e.g. \"item:tenant\")";
        if (string.IsNullOrWhiteSpace(scope))
        {
            return $"A rate-limit scope must not be null, empty or blank; {Valid}.";
        }

        if (scope is Global or AgentId or SessionId)
        {
            return null;
        }

        if (scope.StartsWith(ItemPrefix, StringComparison.Ordinal))
        {
            return scope.AsSpan(ItemPrefix.Length).IsWhiteSpace()
                ? $"The rate-limit scope \"{scope}\" names no context item; write \"item:NAME\", e.g. \"item:tenant\"."
                : null;
        }

        string? near = Near(scope);
        return near is null
            ? $"Unknown rate-limit scope \"{scope}\": {Valid}."
            : $"Unknown rate-limit scope \"{scope}\" (did you mean \"{near}\"?): {Valid}.";
    }

    /// <summary>The built-in scope <paramref name="scope"/> spells differently (case, separators), or the item form of a bare name.</summary>
    private static string? Near(string scope)
    {
        string folded = scope.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        return folded switch
        {
            "global" => Global,
            "agentid" or "agent" => AgentId,
            "sessionid" or "session" => SessionId,
            _ => scope.Contains(':', StringComparison.Ordinal) ? null : ItemPrefix + scope,
        };
    }
}
