using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// Checks the arguments of the rule attributes: the triggers of class-level deny rules, <c>[RateLimit]</c> arguments,
/// rules declared twice, and the glob patterns of local functions and lambdas (whose rules are ignored). The patterns
/// of methods and types are the generator's to report: it leaves such a rule out, so its SOCH0001 is not configurable.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RuleAttributeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.InvalidGlobPattern,
        DiagnosticDescriptors.DuplicateRule,
        DiagnosticDescriptors.InvalidRateLimit,
        DiagnosticDescriptors.InvalidRuleTrigger);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        PolicySymbols.RegisterWhenReferenced(context, (start, symbols) =>
        {
            start.RegisterSymbolAction(c => AnalyzeMethod(c, symbols), SymbolKind.Method);
            start.RegisterSymbolAction(c => AnalyzeType(c, symbols), SymbolKind.NamedType);

            // Symbol actions never see local functions or lambdas; their handler attributes are ignored (SOCH0012),
            // but a bad pattern is still a bad pattern and is reported as such.
            start.RegisterSyntaxNodeAction(
                c => AnalyzeFunctionInBody(c, symbols),
                SyntaxKind.LocalFunctionStatement,
                SyntaxKind.ParenthesizedLambdaExpression,
                SyntaxKind.SimpleLambdaExpression);
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, PolicySymbols symbols)
    {
        var seen = new HashSet<(PolicyTriggerKind, string)>();
        foreach (AttributeData attribute in context.Symbol.GetAttributes())
        {
            if (symbols.HandlerTrigger(attribute) is not { } trigger || attribute.ConstructorArguments.Length != 1)
            {
                continue;
            }

            AttributeSyntax? syntax = AttributeArguments.Syntax(attribute, context.CancellationToken);
            string? pattern = StringArgument(attribute, 0);
            if (!IsValidPattern(attribute, 0))
            {
                continue;
            }

            if (!seen.Add((trigger, pattern!)))
            {
                ReportDuplicate(context, syntax);
            }
        }
    }

    private static void AnalyzeFunctionInBody(SyntaxNodeAnalysisContext context, PolicySymbols symbols)
    {
        IMethodSymbol? function = context.Node switch
        {
            LocalFunctionStatementSyntax { AttributeLists.Count: > 0 } declaration =>
                context.SemanticModel.GetDeclaredSymbol(declaration, context.CancellationToken) as IMethodSymbol,
            LambdaExpressionSyntax { AttributeLists.Count: > 0 } lambda =>
                context.SemanticModel.GetSymbolInfo(lambda, context.CancellationToken).Symbol as IMethodSymbol,
            _ => null,
        };
        if (function is null)
        {
            return;
        }

        // Only the patterns: duplicates do not matter on a function whose rules never run.
        foreach (AttributeData attribute in function.GetAttributes())
        {
            if (symbols.HandlerTrigger(attribute) is not null && attribute.ConstructorArguments.Length == 1)
            {
                AttributeSyntax? syntax = AttributeArguments.Syntax(attribute, context.CancellationToken);
                CheckPattern(context.ReportDiagnostic, attribute, syntax, 0, StringArgument(attribute, 0));
            }
        }
    }

    private static void AnalyzeType(SymbolAnalysisContext context, PolicySymbols symbols)
    {
        var seen = new HashSet<string>();
        foreach (AttributeData attribute in context.Symbol.GetAttributes())
        {
            if (!symbols.IsClassLevelRule(attribute) || attribute.AttributeConstructor is null)
            {
                continue;
            }

            AttributeSyntax? syntax = AttributeArguments.Syntax(attribute, context.CancellationToken);
            INamedTypeSymbol type = attribute.AttributeClass!;
            bool valid;
            if (SymbolEqualityComparer.Default.Equals(type, symbols.RateLimitAttribute))
            {
                valid = CheckRateLimit(context, attribute, syntax);
            }
            else if (SymbolEqualityComparer.Default.Equals(type, symbols.RedactAttribute))
            {
                valid = IsValidPattern(attribute, 0);
            }
            else
            {
                bool triggerValid = CheckDenyTrigger(context, attribute, syntax,
                    approval: SymbolEqualityComparer.Default.Equals(type, symbols.RequireApprovalAttribute));
                valid = IsValidPattern(attribute, 1) && triggerValid;
            }

            if (valid && !seen.Add(RuleKey(attribute)))
            {
                ReportDuplicate(context, syntax);
            }
        }
    }

    /// <summary>
    /// Whether the pattern of a method's or a type's rule attribute is valid. An invalid one is the generator's to report
    /// (SOCH0001, not configurable: the rule is left out, so no setting may hide it); reporting it here too would show
    /// one mistake twice.
    /// </summary>
    private static bool IsValidPattern(AttributeData attribute, int index) =>
        attribute.ConstructorArguments.Length > index
        && attribute.ConstructorArguments[index].Kind != TypedConstantKind.Error
        && GlobParser.Validate(StringArgument(attribute, index) ?? string.Empty) is null;

    /// <summary>
    /// Reports an invalid pattern on a local function or lambda, whose rules the generator never sees (SOCH0012); returns
    /// whether the pattern is valid.
    /// </summary>
    private static bool CheckPattern(System.Action<Diagnostic> report, AttributeData attribute, AttributeSyntax? syntax, int index, string? pattern)
    {
        if (attribute.ConstructorArguments.Length <= index || attribute.ConstructorArguments[index].Kind == TypedConstantKind.Error)
        {
            return false;
        }

        GlobParseError? error = GlobParser.Validate(pattern ?? string.Empty);
        if (error is null)
        {
            return true;
        }

        ExpressionSyntax? expression = AttributeArguments.Constructor(syntax, attribute, index);
        Location location = expression is null ? AttributeArguments.LocationOf(null, syntax) : GlobErrorLocation.For(expression, error);
        report(Diagnostic.Create(
            DiagnosticDescriptors.InvalidGlobPattern,
            location,
            PatternDisplay.Shorten(pattern),
            error.Message));
        return false;
    }

    /// <summary>
    /// [DenyAll] and [RequireAgentId] must name a trigger that can refuse an operation; [RequireApproval] one that can
    /// hold it (a before-trigger).
    /// </summary>
    private static bool CheckDenyTrigger(SymbolAnalysisContext context, AttributeData attribute, AttributeSyntax? syntax, bool approval)
    {
        if (attribute.ConstructorArguments.Length < 1 || attribute.ConstructorArguments[0].Value is not int value)
        {
            return false;
        }

        string? problem = null;
        string triggerName = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!PolicyTriggerRules.IsDefined(value))
        {
            problem = $"{value} is not a PolicyTrigger; use BeforeWrite, BeforeRead, AfterRead or BeforeDelete";
        }
        else if (!PolicyTriggerRules.CanDeny((PolicyTriggerKind)value))
        {
            triggerName = ((PolicyTriggerKind)value).ToString();
            problem = $"{triggerName} rules run after the change is made and cannot refuse it; use BeforeWrite, BeforeRead, AfterRead or BeforeDelete";
        }
        else if (approval && !PolicyTriggerRules.CanRequireApproval((PolicyTriggerKind)value))
        {
            triggerName = ((PolicyTriggerKind)value).ToString();
            problem = $"{triggerName} rules run after the operation and cannot hold it for approval; use BeforeWrite, BeforeRead or BeforeDelete";
        }

        if (problem is null)
        {
            return true;
        }

        ExpressionSyntax? expression = AttributeArguments.Constructor(syntax, attribute, 0);
        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.InvalidRuleTrigger,
            AttributeArguments.LocationOf(expression, syntax),
            ShortName(attribute),
            triggerName,
            problem));
        return false;
    }

    private static bool CheckRateLimit(SymbolAnalysisContext context, AttributeData attribute, AttributeSyntax? syntax)
    {
        bool valid = true;
        if (attribute.ConstructorArguments.Length >= 1 && attribute.ConstructorArguments[0].Value is int operation
            && RateLimitProblems.Operation(operation) is { } operationProblem)
        {
            valid = false;
            Report(AttributeArguments.Constructor(syntax, attribute, 0), operationProblem);
        }

        if (attribute.ConstructorArguments.Length >= 2 && attribute.ConstructorArguments[1].Value is int maxPerMinute
            && RateLimitProblems.MaxPerMinute(maxPerMinute) is { } maxProblem)
        {
            valid = false;
            Report(AttributeArguments.Constructor(syntax, attribute, 1), maxProblem);
        }

        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (named.Key == "Scope" && RateLimitProblems.Scope("Scope", named.Value.IsNull, named.Value.Value as string) is { } scopeProblem)
            {
                valid = false;
                Report(AttributeArguments.Named(syntax, "Scope"), scopeProblem);
            }
        }

        return valid;

        void Report(ExpressionSyntax? expression, string message) =>
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidRateLimit, AttributeArguments.LocationOf(expression, syntax), message));
    }

    private static void ReportDuplicate(SymbolAnalysisContext context, AttributeSyntax? syntax)
    {
        if (syntax is null)
        {
            return;
        }

        string name = context.Symbol.ToDisplayString(PolicyTypeAnalyzer.TypeNameFormat);
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateRule, syntax.GetLocation(), "[" + syntax + "]", name));
    }

    /// <summary>
    /// What makes two class-level rules the same: the attribute and every constructor argument, plus the
    /// <c>[RateLimit]</c> scope (absent meaning "global"); <c>Order</c> does not count.
    /// </summary>
    private static string RuleKey(AttributeData attribute)
    {
        IEnumerable<string> parts = attribute.ConstructorArguments.Select(Key);
        if (attribute.AttributeClass!.Name == "RateLimitAttribute")
        {
            string scope = "\"global";
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                if (named.Key == "Scope")
                {
                    scope = Key(named.Value);
                }
            }

            parts = parts.Concat(new[] { scope });
        }

        return attribute.AttributeClass.ToDisplayString() + "(" + string.Join("\u0001", parts) + ")";

        static string Key(TypedConstant constant) => constant.IsNull ? "null" : constant.Value is string s ? "\"" + s : constant.Value?.ToString() ?? "";
    }

    private static string? StringArgument(AttributeData attribute, int index) =>
        attribute.ConstructorArguments.Length > index ? attribute.ConstructorArguments[index].Value as string : null;

    private static string ShortName(AttributeData attribute)
    {
        string name = attribute.AttributeClass?.Name ?? "";
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }
}
