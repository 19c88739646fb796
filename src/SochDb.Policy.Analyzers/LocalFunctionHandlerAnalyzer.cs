using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// Reports handler attributes (<c>[BeforeWrite]</c> ...) on local functions and lambdas. C# accepts method-targeted
/// attributes there, but the generator only compiles handlers the containing type declares, so such a rule
/// would be dropped without a word: for a policy that is a check that silently never runs.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LocalFunctionHandlerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.HandlerOnLocalFunction, DiagnosticDescriptors.HandlerOnLambda);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        PolicySymbols.RegisterWhenReferenced(context, (start, symbols) =>
        {
            start.RegisterSyntaxNodeAction(c => Analyze(c, symbols), SyntaxKind.LocalFunctionStatement);
            start.RegisterSyntaxNodeAction(
                c => AnalyzeLambda(c, symbols), SyntaxKind.ParenthesizedLambdaExpression, SyntaxKind.SimpleLambdaExpression);
        });
    }

    private static void Analyze(SyntaxNodeAnalysisContext context, PolicySymbols symbols)
    {
        var declaration = (LocalFunctionStatementSyntax)context.Node;
        if (declaration.AttributeLists.Count == 0
            || context.SemanticModel.GetDeclaredSymbol(declaration, context.CancellationToken) is not IMethodSymbol function)
        {
            return;
        }

        List<string> attributes = HandlerAttributes(function, symbols);
        if (attributes.Count == 0)
        {
            return;
        }

        // On the name, like the other handler diagnostics (SOCH0002): one squiggle however many attributes it carries.
        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.HandlerOnLocalFunction,
            declaration.Identifier.GetLocation(),
            function.Name,
            Describe(attributes),
            attributes.Count == 1 ? "runs" : "run"));
    }

    private static void AnalyzeLambda(SyntaxNodeAnalysisContext context, PolicySymbols symbols)
    {
        var lambda = (LambdaExpressionSyntax)context.Node;
        if (lambda.AttributeLists.Count == 0
            || context.SemanticModel.GetSymbolInfo(lambda, context.CancellationToken).Symbol is not IMethodSymbol function)
        {
            return;
        }

        List<string> attributes = HandlerAttributes(function, symbols);
        if (attributes.Count == 0)
        {
            return;
        }

        // A lambda has no name: its parameter list stands in for it (one squiggle however many attributes, and
        // never on top of a SOCH0001 squiggle inside an attribute's pattern).
        SyntaxNode parameters = lambda is ParenthesizedLambdaExpressionSyntax parenthesized
            ? parenthesized.ParameterList
            : ((SimpleLambdaExpressionSyntax)lambda).Parameter;
        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.HandlerOnLambda,
            parameters.GetLocation(),
            Describe(attributes),
            attributes.Count == 1 ? "runs" : "run"));
    }

    /// <summary>The handler attributes on <paramref name="function"/>, as <c>[Trigger]</c>, each trigger once, in order.</summary>
    private static List<string> HandlerAttributes(IMethodSymbol function, PolicySymbols symbols)
    {
        var attributes = new List<string>();
        foreach (AttributeData attribute in function.GetAttributes())
        {
            if (symbols.HandlerTrigger(attribute) is { } trigger && !attributes.Contains("[" + trigger + "]"))
            {
                attributes.Add("[" + trigger + "]");
            }
        }

        return attributes;
    }

    private static string Describe(List<string> attributes) =>
        "its " + Join(attributes) + (attributes.Count == 1 ? " rule" : " rules");

    private static string Join(List<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.GetRange(0, items.Count - 1)) + " and " + items[items.Count - 1];
}
