using Microsoft.CodeAnalysis;

namespace SochDb.Policy.Analyzers;

/// <summary>Every diagnostic the policy analyzers report, in one place (one page each under docs/diagnostics).</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = GlobPatternDiagnostic.Category;

    /// <summary>
    /// The package's repository, as its project file's <c>RepositoryUrl</c> says (a test keeps the two equal): help
    /// links must be absolute to open from an IDE or a build log.
    /// </summary>
    internal const string RepositoryUrl = GlobPatternDiagnostic.RepositoryUrl;

    /// <summary>Where each ID's page lives: docs/diagnostics/SOCHxxxx.md on the main branch; the page name is the ID.</summary>
    internal const string HelpLinkBase = GlobPatternDiagnostic.HelpLinkBase;

    /// <summary>What the glob grammar accepts, quoted by both glob diagnostics.</summary>
    private const string GrammarSummary = GlobPatternDiagnostic.GrammarSummary;

    /// <summary>SOCH0001 on a policy attribute: reported by the generator, which leaves the rule out (not configurable).</summary>
    public static readonly DiagnosticDescriptor InvalidGlobPattern = GlobPatternDiagnostic.Descriptor;

    public static readonly DiagnosticDescriptor HandlerNotStatic = Create(
        DiagnosticIds.HandlerNotStatic,
        "Policy handler must be static",
        "Policy handler '{0}' must be static: the generated dispatch calls handlers without an instance",
        DiagnosticSeverity.Error,
        "Handlers are called directly from the generated dispatch table, which has no instance to call them on.");

    public static readonly DiagnosticDescriptor UnsupportedParameterList = Create(
        DiagnosticIds.UnsupportedParameterList,
        "Unsupported policy handler parameter list",
        "Policy handler '{0}' has the parameter list '{1}'; use '(in PolicyRequest request)' or '(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context)'",
        DiagnosticSeverity.Error,
        "The generated dispatch passes a PolicyRequest (or the seed's key, value and context); no other parameter list can be called.");

    public static readonly DiagnosticDescriptor InvalidReturnType = Create(
        DiagnosticIds.InvalidReturnType,
        "Policy handler return type is not valid for its trigger",
        "Policy handler '{0}' returns '{1}', which {2} does not accept; {3}",
        DiagnosticSeverity.Error,
        "Before-handlers and AfterRead handlers return PolicyAction (PolicyDecision where Modify is meaningful: BeforeWrite, AfterRead); AfterWrite and AfterDelete handlers return void.");

    public static readonly DiagnosticDescriptor AsyncOrGenericHandler = Create(
        DiagnosticIds.AsyncOrGenericHandler,
        "Policy handler must be synchronous and non-generic",
        "Policy handler '{0}' {1}; handlers must be synchronous, non-generic static methods that return their verdict directly",
        DiagnosticSeverity.Error,
        "A handler's verdict is needed before the operation goes on; an async handler would let it go on unchecked (the seed SDKs failed open this way), and the dispatch cannot pick type arguments for a generic one.");

    public static readonly DiagnosticDescriptor TypeNotPartial = Create(
        DiagnosticIds.TypeNotPartial,
        "Type holding policy rules must be partial",
        "Type '{0}' holds policy rules, so it and every type containing it must be partial (the generator adds its Compiled property); not partial: {1}",
        DiagnosticSeverity.Error,
        "The source generator adds 'Compiled' to the type as another partial declaration, which needs 'partial' on the type and on every type that contains it.");

    public static readonly DiagnosticDescriptor UnsupportedContainingType = Create(
        DiagnosticIds.UnsupportedContainingType,
        "Type cannot hold policy rules",
        "Type '{0}' cannot hold policy rules: {1}; declare the rules in a non-generic class or struct",
        DiagnosticSeverity.Error,
        "A compiled policy set is one static table per type; generic types (or types nested in one) and interfaces cannot hold it.");

    public static readonly DiagnosticDescriptor DuplicateRule = Create(
        DiagnosticIds.DuplicateRule,
        "Duplicate policy rule",
        "{0} is declared twice on '{1}'; the rule would run twice",
        DiagnosticSeverity.Warning,
        "The same trigger and pattern bound to the same handler twice (or two identical class-level rules) runs the rule twice and is almost always a copy-paste mistake.");

    public static readonly DiagnosticDescriptor InvalidRuntimeGlobPattern = Create(
        DiagnosticIds.InvalidRuntimeGlobPattern,
        "Invalid glob pattern passed to the run-time API",
        "Invalid glob pattern \"{0}\" passed to '{1}': {2}; the call throws GlobPatternException at run time; " + GrammarSummary,
        DiagnosticSeverity.Error,
        "A constant pattern given to the run-time registration API is checked at compile time: an invalid one always throws.");

    private const string RateLimitDescription =
        "A rate limit needs a PolicyOperation (Read, Write, Delete or All; at run time also \"read\", \"write\", \"delete\" or \"all\"), a positive maxPerMinute and a non-empty scope.";

    public static readonly DiagnosticDescriptor InvalidRateLimit = Create(
        DiagnosticIds.InvalidRateLimit,
        "Invalid rate limit",
        "Invalid [RateLimit]: {0}",
        DiagnosticSeverity.Error,
        RateLimitDescription);

    /// <summary>SOCH0010 for the run-time API (<c>PolicyEngine.AddRateLimit</c>, <c>new RateLimitRule(...)</c>): same ID, title and severity.</summary>
    public static readonly DiagnosticDescriptor InvalidRuntimeRateLimit = Create(
        DiagnosticIds.InvalidRateLimit,
        "Invalid rate limit",
        "Invalid rate limit passed to '{0}': {1}; the call throws at run time",
        DiagnosticSeverity.Error,
        RateLimitDescription);

    public static readonly DiagnosticDescriptor InvalidRuleTrigger = Create(
        DiagnosticIds.InvalidRuleTrigger,
        "Class-level rule names a trigger that cannot deny",
        "[{0}] on {1} can never take effect: {2}",
        DiagnosticSeverity.Error,
        "[DenyAll] and [RequireAgentId] refuse operations, which only BeforeWrite, BeforeRead, AfterRead and BeforeDelete can do; AfterWrite and AfterDelete run after the change is made.");

    /// <summary>The title SOCH0012's two variants (local function, lambda) share.</summary>
    private const string HandlerOnLocalFunctionTitle = "Policy attribute on a local function or lambda is ignored";

    private const string HandlerOnLocalFunctionDescription =
        "The source generator compiles handlers from the methods a type declares; a local function or a lambda is not one of them, so the rule a policy attribute on it states could never be enforced (the generated code carries an #error for it, so suppressing this diagnostic does not make the build pass).";

    public static readonly DiagnosticDescriptor HandlerOnLocalFunction = Create(
        DiagnosticIds.HandlerOnLocalFunction,
        HandlerOnLocalFunctionTitle,
        "Policy attribute on local function '{0}' is ignored: {1} never {2}, because handlers must be static methods declared in a partial class or struct; make '{0}' a static method of the containing type",
        DiagnosticSeverity.Error,
        HandlerOnLocalFunctionDescription);

    /// <summary>SOCH0012 for a lambda: same ID, title and severity as <see cref="HandlerOnLocalFunction"/>; a lambda has no name to quote.</summary>
    public static readonly DiagnosticDescriptor HandlerOnLambda = Create(
        DiagnosticIds.HandlerOnLocalFunction,
        HandlerOnLocalFunctionTitle,
        "Policy attribute on a lambda is ignored: {0} never {1}, because handlers must be static methods declared in a partial class or struct; move the lambda's body into a static method of the containing type and put the attribute there",
        DiagnosticSeverity.Error,
        HandlerOnLocalFunctionDescription);

    public static readonly DiagnosticDescriptor GeneratedMemberConflict = Create(
        DiagnosticIds.GeneratedMemberConflict,
        "Type holding policy rules already has a member named like a generated one",
        "'{0}' holds policy rules, so the generator adds a member named '{1}' to it, but {2}; rename that member",
        DiagnosticSeverity.Error,
        "The source generator adds 'public static CompiledPolicySet Compiled' and a private nested class 'CompiledPolicies' to every type holding policy rules. A member of either name that the type declares or inherits (or the type's own name) would clash inside the generated file, where it cannot be fixed; the generator then compiles nothing for the type.");

    public static readonly DiagnosticDescriptor UnreachableRule = Create(
        DiagnosticIds.UnreachableRule,
        "Policy rule never runs",
        Analysis.RuleSetAnalysis.UnreachableFormat,
        DiagnosticSeverity.Warning,
        "Every key the rule matches is refused first by unconditional denials ([DenyAll], handlers that always return Deny) on the same trigger that run before it, so the rule's handler is never called. Decided exactly on the patterns.");

    public static readonly DiagnosticDescriptor EquivalentRule = Create(
        DiagnosticIds.EquivalentRule,
        "Policy rule repeats another",
        Analysis.RuleSetAnalysis.DuplicateFormat,
        DiagnosticSeverity.Warning,
        "Two rules with the same trigger and the same handler or action whose patterns, written differently, match exactly the same keys: the handler runs twice for every key.");

    public static readonly DiagnosticDescriptor OpenParent = Create(
        DiagnosticIds.OpenParent,
        "Denial leaves its parent key open",
        Analysis.RuleSetAnalysis.OpenParentFormat,
        DiagnosticSeverity.Info,
        "A denial of 'x/**' or 'x/*' refuses every key below 'x/' but not 'x' itself, and no rule of the trigger matches 'x'. One pattern cannot cover both; the code fix adds a rule for the parent key.");

    public static readonly DiagnosticDescriptor NeverReached = Create(
        DiagnosticIds.NeverReached,
        "Approval or redaction never reached",
        Analysis.RuleSetAnalysis.NeverReachedFormat,
        DiagnosticSeverity.Warning,
        "An approval or a redaction rule whose keys are all refused first by unconditional denials: the approval never reaches a person, the redaction never redacts.");

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity, string description) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, description, HelpLinkBase + id + ".md");
}
