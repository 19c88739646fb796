using Microsoft.CodeAnalysis;

namespace SochDb.Policy.Roslyn;

/// <summary>
/// SOCH0001, an invalid glob pattern in a policy attribute. The generator reports it, not the analyzers: a rule with
/// such a pattern is not compiled, so the diagnostic is <see cref="WellKnownDiagnosticTags.NotConfigurable"/> (no
/// <c>#pragma</c>, <c>NoWarn</c> or <c>.editorconfig</c> severity can hide it) and generators run even where
/// analyzers are skipped. The one error a bad pattern gives, on the offending characters.
/// </summary>
internal static class GlobPatternDiagnostic
{
    public const string Id = "SOCH0001";

    public const string Category = "SochDb.Policy";

    /// <summary>The package's repository, as its project file's <c>RepositoryUrl</c> says: help links must be absolute.</summary>
    public const string RepositoryUrl = "https://github.com/sochdb/sochdb";

    /// <summary>Where each ID's page lives: docs/diagnostics/SOCHxxxx.md on the main branch; the page name is the ID.</summary>
    public const string HelpLinkBase = RepositoryUrl + "/blob/main/docs/diagnostics/";

    /// <summary>What the glob grammar accepts, quoted by both glob diagnostics.</summary>
    public const string GrammarSummary =
        "patterns accept literal characters, '*', '?', '[a-z]', '[!a-z]', '{{a,b}}', '\\x' escapes and '**' as a whole segment";

    public static readonly DiagnosticDescriptor Descriptor = new(
        Id,
        "Invalid glob pattern",
        "Invalid glob pattern \"{0}\": {1}; " + GrammarSummary,
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        "A pattern in a policy attribute must follow the glob grammar; an invalid one would never match as intended, so the rule is not compiled and the build fails whatever severity is configured.",
        HelpLinkBase + Id + ".md",
        WellKnownDiagnosticTags.NotConfigurable);
}
