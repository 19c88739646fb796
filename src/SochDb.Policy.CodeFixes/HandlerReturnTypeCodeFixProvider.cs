using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using SochDb.Policy.Analyzers;

namespace SochDb.Policy.CodeFixes;

/// <summary>
/// SOCH0004: rewrites a handler's return type to the one its triggers accept (<c>PolicyAction</c> or <c>void</c>).
/// Offered only when the analyzer found a single canonical type (it puts it in the diagnostic's properties).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HandlerReturnTypeCodeFixProvider)), Shared]
public sealed class HandlerReturnTypeCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.InvalidReturnType);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => DocumentFix.FixAll(Edit, HasFix);

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (ReturnType(diagnostic) is { } type)
            {
                // Fix All gives each handler the type its own diagnostic names, so one equivalence key serves both targets.
                DocumentFix.Register(context, $"Return '{type}'", nameof(HandlerReturnTypeCodeFixProvider), Edit, d => d == diagnostic);
            }
        }

        return Task.CompletedTask;
    }

    private static bool HasFix(Diagnostic diagnostic) => ReturnType(diagnostic) is not null;

    private static string? ReturnType(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(DiagnosticIds.FixReturnTypeProperty, out string? type) && type is "PolicyAction" or "void" ? type : null;

    private static void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        string? target = ReturnType(diagnostic);
        if (target is null
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method)
        {
            return;
        }

        TypeSyntax type = target == "void"
            ? SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.VoidKeyword))
            : SyntaxFactory.ParseTypeName("global::SochDb.Policy.PolicyAction").WithAdditionalAnnotations(Simplifier.Annotation);
        editor.ReplaceNode(method.ReturnType, type.WithTriviaFrom(method.ReturnType));
    }
}
