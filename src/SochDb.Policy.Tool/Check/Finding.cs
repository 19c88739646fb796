using System.Collections.Generic;
using System.Linq;

namespace SochDb.Policy.Tool.Check;

/// <summary>How much a finding matters; an error makes <c>check</c> exit 1, a warning 2, a note nothing.</summary>
internal enum FindingLevel
{
    Error,
    Warning,
    Note,
}

/// <summary>One thing <c>check</c> reports: which rule of the tool, what, and where in the file.</summary>
/// <param name="RuleId">A <see cref="CheckRules"/> id.</param>
/// <param name="Level">Error, warning or note.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="ConfigurationPath">The configuration path at fault (<c>SochDbPolicy:Rules:0:Reasn</c>), when one is.</param>
/// <param name="Span">Where in the file.</param>
internal sealed record Finding(string RuleId, FindingLevel Level, string Message, string? ConfigurationPath, SourceSpan Span);

/// <summary>What one <c>check</c> of a file found, and the exit code it means.</summary>
internal sealed class CheckReport
{
    public CheckReport(string file, IReadOnlyList<Finding> findings, int ruleCount)
    {
        File = file;
        Findings = findings;
        RuleCount = ruleCount;
    }

    /// <summary>The file checked, as given.</summary>
    public string File { get; }

    /// <summary>In file order.</summary>
    public IReadOnlyList<Finding> Findings { get; }

    /// <summary>How many configured rules the file holds (0 when it was refused).</summary>
    public int RuleCount { get; }

    public int Errors => Findings.Count(f => f.Level == FindingLevel.Error);

    public int Warnings => Findings.Count(f => f.Level == FindingLevel.Warning);

    /// <summary>1 on any error, 2 on warnings only, else 0.</summary>
    public int ExitCode => Errors > 0 ? 1 : Warnings > 0 ? 2 : 0;
}

/// <summary>A kind of finding, as SARIF's <c>rules[]</c> describes it.</summary>
internal sealed record CheckRule(string Id, string Name, FindingLevel DefaultLevel, string ShortDescription, string FullDescription, string Help);

/// <summary>Every kind of finding <c>check</c> reports.</summary>
internal static class CheckRules
{
    public const string InvalidConfiguration = "SOCHCFG001";
    public const string InvalidJson = "SOCHCFG002";
    public const string InvalidOptions = "SOCHCFG003";

    public static IReadOnlyList<CheckRule> All { get; } =
    [
        new(InvalidConfiguration, "InvalidPolicyConfiguration", FindingLevel.Error,
            "The policy configuration is refused",
            "An entry of the policy section is wrong: an unknown key, a missing or misshapen Rules, an invalid glob, an unknown trigger, action, mode or scope, a duplicate rule or limit. The application refuses the whole configuration at start-up, and a reload keeps the last good one.",
            "Fix the entry named in the message; docs/operating.md describes every field of the configuration. Write \"Rules\": [] for a configuration without rules."),
        new(InvalidJson, "InvalidJson", FindingLevel.Error,
            "The file is not valid JSON",
            "The configuration file cannot be read: a syntax error, or a key written twice in one object. The JSON configuration provider refuses it, so nothing in it is applied.",
            "Fix the JSON at the position given (comments and trailing commas are allowed, as the configuration provider allows them)."),
        new(InvalidOptions, "InvalidEngineOptions", FindingLevel.Error,
            "An engine option is invalid",
            "A setting read when the engine is built (the store, the audit, Mode, MaxNestingDepth) does not convert to its type or is out of range; the application does not start.",
            "Fix the setting named in the message; docs/operating.md gives the range of each."),
        new("SOCH0014", "UnreachableRule", FindingLevel.Warning,
            "Rule is unreachable",
            "Every key this rule matches is refused first by an unconditional Deny on the same trigger that runs before it, so the rule never runs.",
            "Remove the rule, narrow the earlier Deny, or move the rule before it."),
        new("SOCH0015", "DuplicateRule", FindingLevel.Warning,
            "Rule duplicates another",
            "Two rules have the same trigger, equivalent patterns and the same action: the second adds nothing.",
            "Remove one of them."),
        new("SOCH0016", "OpenParentKey", FindingLevel.Note,
            "A denial leaves its parent key open",
            "A Deny on x/** or x/* does not match the key x itself, and no rule of that trigger does.",
            "Add a rule of that trigger for the key x itself (a Deny on x beside the Deny on x/**), or leave x open on purpose."),
        new("SOCH0017", "ApprovalOrRedactionNeverReached", FindingLevel.Warning,
            "Approval or redaction is never reached",
            "Every key of this RequireApproval or Redact rule is refused first by an unconditional Deny, so the approval is never asked for or the value never redacted.",
            "Narrow the Deny or remove the rule."),
    ];

    public static CheckRule Get(string id) => All.FirstOrDefault(r => r.Id == id)
        ?? new CheckRule(id, id, FindingLevel.Warning, id, id, "See docs/diagnostics.");
}
