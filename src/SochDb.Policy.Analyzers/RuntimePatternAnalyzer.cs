using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// Checks constant patterns given to the run-time API (<c>policy.BeforeWrite("system/*", handler)</c>,
/// <c>GlobMatcher.Compile("...")</c>): an invalid one always throws <c>GlobPatternException</c>, so the
/// compiler says so first, on the offending characters.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RuntimePatternAnalyzer : DiagnosticAnalyzer
{
    private const string PatternParameter = "pattern";

    /// <summary>The methods taking a <c>string pattern</c>, by containing type's metadata name.</summary>
    private static readonly (string Type, string[] Methods)[] Targets =
    {
        ("SochDb.Policy.PolicyEngine", new[] { "BeforeWrite", "AfterWrite", "BeforeRead", "AfterRead", "BeforeDelete", "AfterDelete", "On" }),
        ("SochDb.Policy.CompilerServices.GlobMatcher", new[] { "Compile" }),
    };

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.InvalidRuntimeGlobPattern);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var targets = new Dictionary<INamedTypeSymbol, HashSet<string>>(SymbolEqualityComparer.Default);
            foreach ((string typeName, string[] methods) in Targets)
            {
                if (start.Compilation.GetTypeByMetadataName(typeName) is { } type)
                {
                    targets[type] = new HashSet<string>(methods);
                }
            }

            if (targets.Count == 0)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeInvocation(c, targets), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, Dictionary<INamedTypeSymbol, HashSet<string>> targets)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IMethodSymbol method = invocation.TargetMethod;
        if (method.ContainingType is not { } type
            || !targets.TryGetValue(type.OriginalDefinition, out HashSet<string>? names)
            || !names.Contains(method.Name))
        {
            return;
        }

        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.Parameter is not { Name: PatternParameter, Type.SpecialType: SpecialType.System_String }
                || !argument.Value.ConstantValue.HasValue
                || argument.Value.ConstantValue.Value is not string pattern)
            {
                continue;
            }

            GlobParseError? error = GlobParser.Validate(pattern);
            if (error is null)
            {
                continue;
            }

            ExpressionSyntax? expression = argument.Syntax is ArgumentSyntax syntax ? syntax.Expression : argument.Value.Syntax as ExpressionSyntax;
            Location location = expression is null ? argument.Syntax.GetLocation() : GlobErrorLocation.For(expression, error);
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.InvalidRuntimeGlobPattern,
                location,
                PatternDisplay.Shorten(pattern),
                type.Name + "." + method.Name,
                error.Message));
        }
    }
}
