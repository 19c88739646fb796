using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// Checks constant arguments of the run-time rate-limit API (<c>policy.AddRateLimit(PolicyOperation.Write, 0)</c>,
/// <c>policy.AddRateLimit("wirte", 10)</c>, <c>new RateLimitRule(..., scope: "")</c>): each such call always
/// throws, so the compiler says so first, on the offending argument (SOCH0010, like <c>[RateLimit]</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RuntimeRateLimitAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.InvalidRuntimeRateLimit);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            INamedTypeSymbol? engine = start.Compilation.GetTypeByMetadataName("SochDb.Policy.PolicyEngine");
            INamedTypeSymbol? rule = start.Compilation.GetTypeByMetadataName("SochDb.Policy.RateLimitRule");
            INamedTypeSymbol? operation = start.Compilation.GetTypeByMetadataName("SochDb.Policy.PolicyOperation");
            if (operation is null || (engine is null && rule is null))
            {
                return;
            }

            if (engine is not null)
            {
                start.RegisterOperationAction(
                    c =>
                    {
                        var invocation = (IInvocationOperation)c.Operation;
                        if (invocation.TargetMethod is { Name: "AddRateLimit" } method
                            && SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, engine))
                        {
                            Check(c, invocation.Arguments, operation, engine.Name + "." + method.Name);
                        }
                    },
                    OperationKind.Invocation);
            }

            if (rule is not null)
            {
                start.RegisterOperationAction(
                    c =>
                    {
                        var creation = (IObjectCreationOperation)c.Operation;
                        if (SymbolEqualityComparer.Default.Equals(creation.Constructor?.ContainingType, rule))
                        {
                            Check(c, creation.Arguments, operation, rule.Name);
                        }
                    },
                    OperationKind.ObjectCreation);
            }
        });
    }

    private static void Check(OperationAnalysisContext context, ImmutableArray<IArgumentOperation> arguments, INamedTypeSymbol operationType, string call)
    {
        foreach (IArgumentOperation argument in arguments)
        {
            // A default value ("global") is valid; only what the caller wrote is checked.
            if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is not { } parameter
                || !argument.Value.ConstantValue.HasValue)
            {
                continue;
            }

            object? value = argument.Value.ConstantValue.Value;
            string? problem = parameter.Name switch
            {
                "operation" when SymbolEqualityComparer.Default.Equals(parameter.Type, operationType) && value is int number =>
                    RateLimitProblems.Operation(number),
                "operation" when parameter.Type.SpecialType == SpecialType.System_String =>
                    RateLimitProblems.OperationName(value as string),
                "maxPerMinute" when value is int maxPerMinute => RateLimitProblems.MaxPerMinute(maxPerMinute),
                "scope" when parameter.Type.SpecialType == SpecialType.System_String =>
                    RateLimitProblems.Scope("scope", value is null, value as string),
                _ => null,
            };

            if (problem is null)
            {
                continue;
            }

            SyntaxNode syntax = argument.Syntax is ArgumentSyntax written ? written.Expression : argument.Syntax;
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidRuntimeRateLimit, syntax.GetLocation(), call, problem));
        }
    }
}
