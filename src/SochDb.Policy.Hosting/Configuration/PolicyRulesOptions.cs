using System.Collections.Generic;

namespace SochDb.Policy.Hosting;

/// <summary>
/// Rules and rate limits as written in configuration. Every field is text, so that any mistake (an unknown action, a
/// number that is not one) is reported by the loader with the entry it is in, instead of failing inside the binder.
/// Reloaded on change; a configuration with any error is refused whole and the last good one stays in force.
/// </summary>
public sealed class PolicyRulesOptions
{
    /// <summary>The rules, in the order they run (after compiled sets and before rules registered in code).</summary>
    public List<ConfiguredRuleOptions> Rules { get; set; } = new();

    /// <summary>The rate limits.</summary>
    public List<ConfiguredRateLimitOptions> RateLimits { get; set; } = new();

    /// <summary>Whether the configuration section existed when these options were bound (a missing section is refused).</summary>
    internal bool SectionFound { get; set; } = true;

    /// <summary>The path of the section, for messages.</summary>
    internal string SectionPath { get; set; } = string.Empty;

    /// <summary>What is wrong with the shape of the section (unknown keys, a list that is not an array), found before binding.</summary>
    internal IReadOnlyList<PolicyConfigurationError> ShapeErrors { get; set; } = System.Array.Empty<PolicyConfigurationError>();

    /// <summary>
    /// The settings of the section read only at start-up (everything but Rules and RateLimits), flattened to
    /// relative paths: a reload that changes one reports that it needs a restart.
    /// </summary>
    internal IReadOnlyDictionary<string, string?> StartupSettings { get; set; } = new Dictionary<string, string?>();
}

/// <summary>One configured rule.</summary>
public sealed class ConfiguredRuleOptions
{
    /// <summary>The name shown in audit entries, violations and explanations; default <c>config:{Trigger}:{Pattern}</c>. Unique.</summary>
    public string? Name { get; set; }

    /// <summary><c>BeforeWrite</c>, <c>BeforeRead</c>, <c>AfterRead</c> or <c>BeforeDelete</c>.</summary>
    public string? Trigger { get; set; }

    /// <summary>The key glob (docs/semantics.md).</summary>
    public string? Pattern { get; set; }

    /// <summary><c>Deny</c>, <c>Allow</c>, <c>RequireAgentId</c>, <c>Redact</c> or <c>RequireApproval</c>.</summary>
    public string? Action { get; set; }

    /// <summary>Why the rule denies (shown to the caller, audited, explained).</summary>
    public string? Reason { get; set; }

    /// <summary>What <c>Redact</c> puts in place of the value (UTF-8); default <c>[REDACTED]</c>.</summary>
    public string? Replacement { get; set; }

    /// <summary><c>Enforce</c> (default) or <c>Shadow</c>.</summary>
    public string? Mode { get; set; }
}

/// <summary>One configured rate limit.</summary>
public sealed class ConfiguredRateLimitOptions
{
    /// <summary><c>Read</c>, <c>Write</c>, <c>Delete</c> or <c>All</c>.</summary>
    public string? Operation { get; set; }

    /// <summary>Operations allowed a minute (bucket capacity and refill); a positive integer.</summary>
    public string? MaxPerMinute { get; set; }

    /// <summary>
    /// <c>global</c> (default), <c>agent_id</c>, <c>session_id</c>, or <c>item:NAME</c> for a custom context item. Any
    /// other word is refused: a misspelt <c>agentid</c> would otherwise silently become one bucket shared by everyone.
    /// </summary>
    public string? Scope { get; set; }
}
