using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// Reports handler attributes (<c>[BeforeWrite]</c> ...) on local functions. C# accepts method-targeted
/// attributes there, but the generator only compiles handlers the containing type declares, so such a rule
/// would be dropped without a word: for a policy that is a check that silently never runs.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LocalFunctionHandlerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.HandlerOnLocalFunction);

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

            start.RegisterSyntaxNodeAction(c => Analyze(c, symbols), SyntaxKind.LocalFunctionStatement);
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

        var attributes = new List<string>();
        foreach (AttributeData attribute in function.GetAttributes())
        {
            if (symbols.HandlerTrigger(attribute) is { } trigger && !attributes.Contains("[" + trigger + "]"))
            {
                attributes.Add("[" + trigger + "]");
            }
        }

        if (attributes.Count == 0)
        {
            return;
        }

        // On the name, like the other handler diagnostics (SOCH0002): one squiggle however many attributes it carries.
        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.HandlerOnLocalFunction,
            declaration.Identifier.GetLocation(),
            function.Name,
            "its " + Join(attributes) + (attributes.Count == 1 ? " rule" : " rules"),
            attributes.Count == 1 ? "runs" : "run"));
    }

    private static string Join(List<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.GetRange(0, items.Count - 1)) + " and " + items[items.Count - 1];
}
