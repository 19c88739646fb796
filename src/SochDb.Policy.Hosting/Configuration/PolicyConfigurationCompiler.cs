using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SochDb.Policy.Hosting;

/// <summary>What a valid configuration turns into: rules ready for one atomic registration, and rate limits.</summary>
internal sealed record PolicyConfigurationSnapshot(
    IReadOnlyList<PolicyRuleInfo> Rules,
    IReadOnlyList<RateLimitRule> RateLimits);

/// <summary>
/// Checks a whole configuration and builds its rules; any error refuses all of it (every error is reported, each
/// naming its entry), so a half-valid file never enforces half of itself.
/// </summary>
internal static class PolicyConfigurationCompiler
{
    private const string ItemScopePrefix = "item:";

    public static PolicyConfigurationSnapshot Compile(PolicyRulesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string section = options.SectionPath.Length == 0 ? SochDbPolicyOptions.SectionName : options.SectionPath;
        var errors = new List<PolicyConfigurationError>();
        if (!options.SectionFound)
        {
            errors.Add(new PolicyConfigurationError(section, null,
                "the configuration section is missing (or the file holding it could not be read)"));
            throw new PolicyConfigurationException(errors);
        }

        // The shape first (unknown keys, Rules missing or not an array): a list that is not one is not compiled, so its
        // error is not followed by others about what the binder made of it.
        errors.AddRange(options.ShapeErrors);
        bool rulesMisshapen = options.ShapeErrors.Any(e => string.Equals(e.Path, section + ":Rules", StringComparison.OrdinalIgnoreCase));
        bool limitsMisshapen = options.ShapeErrors.Any(e => string.Equals(e.Path, section + ":RateLimits", StringComparison.OrdinalIgnoreCase));
        if (options.StartupSettings.TryGetValue("Mode", out string? engineMode) && engineMode is not null
            && !engineMode.Equals("Enforce", StringComparison.OrdinalIgnoreCase) && !engineMode.Equals("Shadow", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new PolicyConfigurationError(section, "Mode", $"unknown mode \"{engineMode}\" (expected Enforce or Shadow)"));
        }

        var rules = new List<PolicyRuleInfo>(options.Rules.Count);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < (rulesMisshapen ? 0 : options.Rules.Count); i++)
        {
            PolicyRuleInfo? rule = CompileRule(options.Rules[i], $"{section}:Rules:{i}", names, errors);
            if (rule is not null)
            {
                rules.Add(rule);
            }
        }

        var limits = new List<RateLimitRule>(options.RateLimits.Count);
        var limitKeys = new Dictionary<(PolicyOperation, string), string>();
        for (int i = 0; i < (limitsMisshapen ? 0 : options.RateLimits.Count); i++)
        {
            RateLimitRule? limit = CompileLimit(options.RateLimits[i], $"{section}:RateLimits:{i}", limitKeys, errors);
            if (limit is not null)
            {
                limits.Add(limit);
            }
        }

        if (errors.Count > 0)
        {
            throw new PolicyConfigurationException(errors);
        }

        return new PolicyConfigurationSnapshot(rules, limits);
    }

    private static PolicyRuleInfo? CompileRule(
        ConfiguredRuleOptions? rule, string entry, Dictionary<string, string> names, List<PolicyConfigurationError> errors)
    {
        if (rule is null)
        {
            errors.Add(new PolicyConfigurationError(entry, null, "the rule is empty"));
            return null;
        }

        int first = errors.Count;
        try
        {
            return CompileNamedRule(rule, rule.Name is null ? entry : entry + $" (\"{rule.Name}\")", names, errors);
        }
        finally
        {
            for (int i = first; i < errors.Count; i++)
            {
                errors[i] = errors[i].AtEntryPath(entry);
            }
        }
    }

    private static PolicyRuleInfo? CompileNamedRule(
        ConfiguredRuleOptions rule, string entry, Dictionary<string, string> names, List<PolicyConfigurationError> errors)
    {
        int before = errors.Count;
        PolicyTrigger? trigger = ParseTrigger(rule.Trigger, entry, errors);
        string? pattern = CheckPattern(rule.Pattern, entry, errors);
        string? action = ParseAction(rule.Action, trigger, entry, errors);
        EnforcementMode mode = ParseMode(rule.Mode, entry, errors);
        if (rule.Name is not null && string.IsNullOrWhiteSpace(rule.Name))
        {
            errors.Add(new PolicyConfigurationError(entry, "Name", "a rule name must not be blank (leave it out for a default)"));
        }

        if (rule.Replacement is not null && action is not null && action != "Redact")
        {
            errors.Add(new PolicyConfigurationError(entry, "Replacement", $"only a Redact rule takes a replacement; this rule's action is {action}"));
        }

        if (errors.Count > before)
        {
            return null;
        }

        string name = rule.Name ?? $"config:{trigger}:{pattern}";
        if (names.TryGetValue(name, out string? first))
        {
            errors.Add(new PolicyConfigurationError(entry, rule.Name is null ? null : "Name",
                rule.Name is null
                    ? $"duplicate rule: {first} already has trigger {trigger} and pattern \"{pattern}\" (give one of them a distinct Name if both are meant)"
                    : $"duplicate rule name \"{name}\" (also used by {first})"));
            return null;
        }

        names.Add(name, entry);
        PolicyHandler handler = ConfiguredActions.Create(action!, name, rule.Reason, rule.Replacement);
        return new PolicyRuleInfo(trigger!.Value, pattern!, handler, name, mode);
    }

    private static PolicyTrigger? ParseTrigger(string? text, string entry, List<PolicyConfigurationError> errors)
    {
        PolicyTrigger? trigger = text?.ToLowerInvariant() switch
        {
            "beforewrite" => PolicyTrigger.BeforeWrite,
            "beforeread" => PolicyTrigger.BeforeRead,
            "afterread" => PolicyTrigger.AfterRead,
            "beforedelete" => PolicyTrigger.BeforeDelete,
            _ => null,
        };
        if (trigger is null)
        {
            string message = text is null
                ? "the trigger is missing"
                : text.Equals("AfterWrite", StringComparison.OrdinalIgnoreCase) || text.Equals("AfterDelete", StringComparison.OrdinalIgnoreCase)
                    ? $"{text} rules observe a committed change and cannot decide; a configured rule needs a deciding trigger"
                    : $"unknown trigger \"{text}\"";
            errors.Add(new PolicyConfigurationError(entry, "Trigger", message + " (expected BeforeWrite, BeforeRead, AfterRead or BeforeDelete)"));
        }

        return trigger;
    }

    private static string? CheckPattern(string? pattern, string entry, List<PolicyConfigurationError> errors)
    {
        if (pattern is null)
        {
            errors.Add(new PolicyConfigurationError(entry, "Pattern", "the pattern is missing"));
            return null;
        }

        GlobPatternException? error = PolicyEngine.ValidatePattern(pattern);
        if (error is not null)
        {
            errors.Add(new PolicyConfigurationError(entry, "Pattern",
                $"invalid glob \"{pattern}\" at position {error.Position}: {error.Reason}", error.Position));
            return null;
        }

        return pattern;
    }

    private static string? ParseAction(string? text, PolicyTrigger? trigger, string entry, List<PolicyConfigurationError> errors)
    {
        if (text is null)
        {
            errors.Add(new PolicyConfigurationError(entry, "Action", $"the action is missing (expected {string.Join(", ", ConfiguredActions.Names)})"));
            return null;
        }

        string? action = ConfiguredActions.Canonical(text);
        if (action is null)
        {
            errors.Add(new PolicyConfigurationError(entry, "Action", $"unknown action \"{text}\" (expected {string.Join(", ", ConfiguredActions.Names)})"));
            return null;
        }

        if (action == "RequireApproval" && trigger is not null && !trigger.Value.IsBefore())
        {
            errors.Add(new PolicyConfigurationError(entry, "Action", $"RequireApproval stops an operation before it runs, which {trigger} cannot do (use BeforeWrite, BeforeRead or BeforeDelete)"));
            return null;
        }

        if (action == "Redact" && trigger is not null && !trigger.Value.CanModify())
        {
            errors.Add(new PolicyConfigurationError(entry, "Action", $"Redact replaces a value, which {trigger} cannot do (use AfterRead or BeforeWrite)"));
            return null;
        }

        return action;
    }

    private static EnforcementMode ParseMode(string? text, string entry, List<PolicyConfigurationError> errors)
    {
        if (text is null || text.Equals("Enforce", StringComparison.OrdinalIgnoreCase))
        {
            return EnforcementMode.Enforce;
        }

        if (text.Equals("Shadow", StringComparison.OrdinalIgnoreCase))
        {
            return EnforcementMode.Shadow;
        }

        errors.Add(new PolicyConfigurationError(entry, "Mode", $"unknown mode \"{text}\" (expected Enforce or Shadow)"));
        return EnforcementMode.Enforce;
    }

    private static RateLimitRule? CompileLimit(
        ConfiguredRateLimitOptions? limit, string entry, Dictionary<(PolicyOperation, string), string> seen, List<PolicyConfigurationError> errors)
    {
        if (limit is null)
        {
            errors.Add(new PolicyConfigurationError(entry, null, "the rate limit is empty"));
            return null;
        }

        int before = errors.Count;
        PolicyOperation? operation = AuditNames.TryParseOperation(limit.Operation, out PolicyOperation parsed) ? parsed : null;
        if (operation is null)
        {
            errors.Add(new PolicyConfigurationError(entry, "Operation", limit.Operation is null
                ? "the operation is missing (expected Read, Write, Delete or All)"
                : $"unknown operation \"{limit.Operation}\" (expected Read, Write, Delete or All)"));
        }

        int maxPerMinute = 0;
        if (limit.MaxPerMinute is null)
        {
            errors.Add(new PolicyConfigurationError(entry, "MaxPerMinute", "maxPerMinute is missing"));
        }
        else if (!int.TryParse(limit.MaxPerMinute, NumberStyles.Integer, CultureInfo.InvariantCulture, out maxPerMinute))
        {
            errors.Add(new PolicyConfigurationError(entry, "MaxPerMinute", $"\"{limit.MaxPerMinute}\" is not a whole number"));
        }
        else if (maxPerMinute <= 0)
        {
            errors.Add(new PolicyConfigurationError(entry, "MaxPerMinute",
                $"{maxPerMinute} allows nothing; maxPerMinute must be at least 1 (use a Deny rule to forbid an operation)"));
        }

        string? scope = ParseScope(limit.Scope, entry, errors);
        if (errors.Count > before)
        {
            return null;
        }

        if (seen.TryGetValue((operation!.Value, scope!), out string? first))
        {
            errors.Add(new PolicyConfigurationError(entry, null, $"duplicate rate limit: {first} already limits {operation} per {scope}"));
            return null;
        }

        seen.Add((operation.Value, scope!), entry);
        return new RateLimitRule(operation.Value, maxPerMinute, scope!);
    }

    private static string? ParseScope(string? text, string entry, List<PolicyConfigurationError> errors)
    {
        if (text is null || text.Equals(RateLimitRule.GlobalScope, StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitRule.GlobalScope;
        }

        if (text.Equals(RateLimitRule.AgentIdScope, StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitRule.AgentIdScope;
        }

        if (text.Equals(RateLimitRule.SessionIdScope, StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitRule.SessionIdScope;
        }

        if (text.StartsWith(ItemScopePrefix, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(text[ItemScopePrefix.Length..]))
        {
            return RateLimitRule.ItemScope(text[ItemScopePrefix.Length..]);
        }

        errors.Add(new PolicyConfigurationError(entry, "Scope",
            $"unknown scope \"{text}\" (expected global, agent_id, session_id or item:NAME for a custom context item)"));
        return null;
    }
}
