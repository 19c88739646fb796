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
/// triggers accept. The verdict is <see cref="HandlerSignature"/>, the same definition the generator compiles:
/// it leaves out exactly the methods reported here, so these are errors.
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
        PolicySymbols.RegisterWhenReferenced(context, (start, symbols) =>
        {
            start.RegisterSymbolAction(c => AnalyzeMethod(c, symbols), SymbolKind.Method);
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, PolicySymbols symbols)
    {
        var method = (IMethodSymbol)context.Symbol;
        var triggers = new List<PolicyTriggerKind>();
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
        HandlerSignature signature = HandlerSignature.Of(method);
        if (!signature.IsStatic)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.HandlerNotStatic, declaration.Identifier.GetLocation(), name));
        }

        ReportAsyncOrGeneric(context, signature, method, declaration);

        if (signature.Parameters is null)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.UnsupportedParameterList,
                declaration.ParameterList.GetLocation(),
                name,
                DescribeParameters(method)));
        }

        // A task is reported as such (SOCH0005); judging it as a return type too would say the same twice.
        if (signature.IsReturnJudged)
        {
            ReportReturnType(context, signature, method, declaration, triggers);
        }
    }

    private static void ReportAsyncOrGeneric(SymbolAnalysisContext context, HandlerSignature signature, IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        if (signature.IsAsync)
        {
            SyntaxToken asyncKeyword = declaration.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.AsyncKeyword));
            Location location = asyncKeyword.IsKind(SyntaxKind.AsyncKeyword) ? asyncKeyword.GetLocation() : declaration.Identifier.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AsyncOrGenericHandler, location, method.Name, "is declared async"));
        }
        else if (signature.ReturnsTask)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.AsyncOrGenericHandler,
                declaration.ReturnType.GetLocation(),
                method.Name,
                $"returns '{method.ReturnType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}', a task the dispatch cannot wait for"));
        }

        if (signature.IsGeneric)
        {
            Location location = declaration.TypeParameterList?.GetLocation() ?? declaration.Identifier.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AsyncOrGenericHandler, location, method.Name, "is generic"));
        }
    }

    private static void ReportReturnType(
        SymbolAnalysisContext context, HandlerSignature signature, IMethodSymbol method, MethodDeclarationSyntax declaration, List<PolicyTriggerKind> triggers)
    {
        HandlerReturns accepted = HandlerReturns.All;
        var rejecting = new List<string>();
        foreach (PolicyTriggerKind trigger in triggers)
        {
            accepted &= HandlerSignature.AllowedReturns(trigger);
            if (!signature.ReturnFits(trigger))
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

    private static string DescribeParameters(IMethodSymbol method) =>
        "(" + string.Join(", ", method.Parameters.Select(p => p.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat))) + ")";
}
