namespace SochDb.Policy;

/// <summary>The rate-limit scopes with a meaning of their own; any other non-blank name is a custom context item.</summary>
public static class RateLimitScopes
{
    /// <summary>One bucket for every caller.</summary>
    public const string Global = "global";

    /// <summary>One bucket per <see cref="PolicyContext.AgentId"/> (callers without one share a bucket).</summary>
    public const string AgentId = PolicyContext.AgentIdItem;

    /// <summary>One bucket per <see cref="PolicyContext.SessionId"/> (callers without one share a bucket).</summary>
    public const string SessionId = PolicyContext.SessionIdItem;
}
