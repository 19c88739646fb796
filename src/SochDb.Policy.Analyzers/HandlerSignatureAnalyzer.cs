using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// Checks that every method carrying a handler attribute (<c>[BeforeWrite]</c> ...) has a shape the generated
/// dispatch can call: static, synchronous, non-generic, an accepted parameter list and a return type its
/// triggers accept. The generator leaves any other method out, so these are errors.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HandlerSignatureAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.HandlerNotStatic,
        DiagnosticDescriptors.UnsupportedParameterList,
        DiagnosticDescriptors.InvalidReturnType,
        DiagnosticDescriptors.AsyncOrGenericHandler);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            PolicySymbols? symbols = PolicySymbols.TryCreate(start.Compilation);
            if (symbols is null)
            {
                return;
            }

            start.RegisterSymbolAction(c => AnalyzeMethod(c, symbols), SymbolKind.Method);
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, PolicySymbols symbols)
    {
        var method = (IMethodSymbol)context.Symbol;
        var triggers = new List<PolicyTrigger>();
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (symbols.HandlerTrigger(attribute) is { } trigger && !triggers.Contains(trigger))
            {
                triggers.Add(trigger);
            }
        }

        if (triggers.Count == 0)
        {
            return;
        }

        MethodDeclarationSyntax? declaration = method.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(context.CancellationToken))
            .OfType<MethodDeclarationSyntax>()
            .FirstOrDefault(d => d.Body is not null || d.ExpressionBody is not null)
            ?? method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(context.CancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (declaration is null)
        {
            return;
        }

        string name = method.Name;
        if (!method.IsStatic)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.HandlerNotStatic, declaration.Identifier.GetLocation(), name));
        }

        bool asyncOrTask = ReportAsyncOrGeneric(context, symbols, method, declaration);

        if (!HasAcceptedParameters(method, symbols))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.UnsupportedParameterList,
                declaration.ParameterList.GetLocation(),
                name,
                DescribeParameters(method)));
        }

        if (!asyncOrTask)
        {
            ReportReturnType(context, symbols, method, declaration, triggers);
        }
    }

    /// <summary>Reports async, task-returning and generic handlers; returns whether the return type is a task (so the return-type check is moot).</summary>
    private static bool ReportAsyncOrGeneric(SymbolAnalysisContext context, PolicySymbols symbols, IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        bool taskLike = IsTaskLike(method.ReturnType, symbols);
        if (method.IsAsync)
        {
            SyntaxToken asyncKeyword = declaration.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.AsyncKeyword));
            Location location = asyncKeyword.IsKind(SyntaxKind.AsyncKeyword) ? asyncKeyword.GetLocation() : declaration.Identifier.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AsyncOrGenericHandler, location, method.Name, "is declared async"));
        }
        else if (taskLike)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.AsyncOrGenericHandler,
                declaration.ReturnType.GetLocation(),
                method.Name,
                $"returns '{method.ReturnType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}', a task the dispatch cannot wait for"));
        }

        if (method.IsGenericMethod)
        {
            Location location = declaration.TypeParameterList?.GetLocation() ?? declaration.Identifier.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AsyncOrGenericHandler, location, method.Name, "is generic"));
        }

        return taskLike || method.IsAsync;
    }

    private static void ReportReturnType(
        SymbolAnalysisContext context, PolicySymbols symbols, IMethodSymbol method, MethodDeclarationSyntax declaration, List<PolicyTrigger> triggers)
    {
        HandlerReturnKinds kind = method.ReturnsByRef || method.ReturnsByRefReadonly ? HandlerReturnKinds.None : ReturnKind(method.ReturnType, symbols);
        HandlerReturnKinds accepted = HandlerReturnKinds.Void | HandlerReturnKinds.PolicyAction | HandlerReturnKinds.PolicyDecision;
        var rejecting = new List<string>();
        foreach (PolicyTrigger trigger in triggers)
        {
            HandlerReturnKinds allowed = HandlerShapes.AllowedReturns(trigger);
            accepted &= allowed;
            if ((allowed & kind) == 0)
            {
                rejecting.Add("[" + trigger + "]");
            }
        }

        if (rejecting.Count == 0)
        {
            return;
        }

        ImmutableDictionary<string, string?> properties = ImmutableDictionary<string, string?>.Empty;
        if (HandlerShapes.CanonicalReturnType(accepted) is { } canonical)
        {
            properties = properties.Add(DiagnosticIds.FixReturnTypeProperty, canonical);
        }

        string returned = method.ReturnsByRef || method.ReturnsByRefReadonly
            ? declaration.ReturnType.ToString()
            : method.ReturnType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.InvalidReturnType,
            declaration.ReturnType.GetLocation(),
            properties,
            method.Name,
            returned,
            string.Join(" and ", rejecting),
            HandlerShapes.Describe(accepted)));
    }

    private static HandlerReturnKinds ReturnKind(ITypeSymbol type, PolicySymbols symbols)
    {
        if (type.SpecialType == SpecialType.System_Void)
        {
            return HandlerReturnKinds.Void;
        }

        if (SymbolEqualityComparer.Default.Equals(type, symbols.PolicyAction))
        {
            return HandlerReturnKinds.PolicyAction;
        }

        return SymbolEqualityComparer.Default.Equals(type, symbols.PolicyDecision) ? HandlerReturnKinds.PolicyDecision : HandlerReturnKinds.None;
    }

    private static bool IsTaskLike(ITypeSymbol type, PolicySymbols symbols)
    {
        if (type is not INamedTypeSymbol named)
        {
            return false;
        }

        INamedTypeSymbol original = named.OriginalDefinition;
        foreach (INamedTypeSymbol task in symbols.TaskTypes)
        {
            if (SymbolEqualityComparer.Default.Equals(original, task))
            {
                return true;
            }
        }

        // Custom task types (an [AsyncMethodBuilder] on the type) fail open just the same.
        return symbols.AsyncMethodBuilderAttribute is { } builder
               && original.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, builder));
    }

    private static bool HasAcceptedParameters(IMethodSymbol method, PolicySymbols symbols)
    {
        ImmutableArray<IParameterSymbol> parameters = method.Parameters;
        if (parameters.Length == 1)
        {
            IParameterSymbol request = parameters[0];
            return SymbolEqualityComparer.Default.Equals(request.Type, symbols.PolicyRequest)
                   && request.RefKind is RefKind.None or RefKind.In
                   && !request.IsParams
                   && !method.IsExtensionMethod;
        }

        if (parameters.Length == 3)
        {
            return IsByteSpan(parameters[0], symbols)
                   && IsByteSpan(parameters[1], symbols)
                   && parameters[2].RefKind == RefKind.None
                   && SymbolEqualityComparer.Default.Equals(parameters[2].Type, symbols.PolicyContext)
                   && !parameters[2].IsParams
                   && !method.IsExtensionMethod;
        }

        return false;
    }

    private static bool IsByteSpan(IParameterSymbol parameter, PolicySymbols symbols) =>
        parameter.RefKind == RefKind.None
        && !parameter.IsParams
        && parameter.Type is INamedTypeSymbol { TypeArguments.Length: 1 } span
        && SymbolEqualityComparer.Default.Equals(span.OriginalDefinition, symbols.ReadOnlySpan)
        && span.TypeArguments[0].SpecialType == SpecialType.System_Byte;

    private static string DescribeParameters(IMethodSymbol method) =>
        "(" + string.Join(", ", method.Parameters.Select(p => p.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat))) + ")";
}
