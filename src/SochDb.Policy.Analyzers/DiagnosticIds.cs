namespace SochDb.Policy.Analyzers;

/// <summary>
/// The stable diagnostic IDs (docs/diagnostics). Shared as source with the code-fix assembly; never renumber:
/// `.editorconfig` files, `#pragma` lines and docs/diagnostics pages refer to them.
/// </summary>
internal static class DiagnosticIds
{
    /// <summary>A glob pattern in a policy attribute is not valid.</summary>
    public const string InvalidGlobPattern = "SOCH0001";

    /// <summary>A policy handler is an instance method.</summary>
    public const string HandlerNotStatic = "SOCH0002";

    /// <summary>A policy handler's parameter list is not one the generated dispatch can call.</summary>
    public const string UnsupportedParameterList = "SOCH0003";

    /// <summary>A policy handler's return type is not valid for its trigger.</summary>
    public const string InvalidReturnType = "SOCH0004";

    /// <summary>A policy handler is async (or returns a task) or generic.</summary>
    public const string AsyncOrGenericHandler = "SOCH0005";

    /// <summary>A type holding policy rules, or a type containing it, is not partial.</summary>
    public const string TypeNotPartial = "SOCH0006";

    /// <summary>A type holding policy rules is generic, nested in a generic type, or not a class or struct.</summary>
    public const string UnsupportedContainingType = "SOCH0007";

    /// <summary>The same rule is declared twice.</summary>
    public const string DuplicateRule = "SOCH0008";

    /// <summary>A constant glob pattern passed to the run-time API is not valid.</summary>
    public const string InvalidRuntimeGlobPattern = "SOCH0009";

    /// <summary>A <c>[RateLimit]</c> attribute, or a constant argument of the run-time rate-limit API, is invalid.</summary>
    public const string InvalidRateLimit = "SOCH0010";

    /// <summary>A class-level deny rule names a trigger that cannot deny (or no trigger at all).</summary>
    public const string InvalidRuleTrigger = "SOCH0011";

    /// <summary>A handler attribute sits on a local function or a lambda, which the generator never sees.</summary>
    public const string HandlerOnLocalFunction = "SOCH0012";

    /// <summary>A type holding policy rules already has a member named like one the generator adds (<c>Compiled</c>, <c>CompiledPolicies</c>).</summary>
    public const string GeneratedMemberConflict = "SOCH0013";

    /// <summary>Every key a rule matches is refused first by unconditional denials: the rule never runs.</summary>
    public const string UnreachableRule = "SOCH0014";

    /// <summary>Two rules with the same trigger and handler have patterns that match exactly the same keys.</summary>
    public const string EquivalentRule = "SOCH0015";

    /// <summary>A denial of <c>x/**</c> or <c>x/*</c> leaves the key <c>x</c> itself open.</summary>
    public const string OpenParent = "SOCH0016";

    /// <summary>An approval or redaction rule whose keys are all refused first.</summary>
    public const string NeverReached = "SOCH0017";

    /// <summary>Property of <see cref="OpenParent"/> diagnostics: the pattern of the parent key, which the code fix adds as a rule.</summary>
    public const string ParentPatternProperty = "ParentPattern";

    /// <summary>Property of <see cref="InvalidReturnType"/> diagnostics: the return type the fix writes (<c>PolicyAction</c> or <c>void</c>), absent when no single type suits every trigger.</summary>
    public const string FixReturnTypeProperty = "FixReturnType";
}
