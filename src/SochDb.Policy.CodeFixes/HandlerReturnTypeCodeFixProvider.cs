using System.Composition;
using System.Threading;
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
public sealed class HandlerReturnTypeCodeFixProvider : PolicyCodeFixProvider
{
    /// <summary>Fixes SOCH0004.</summary>
    public HandlerReturnTypeCodeFixProvider()
        : base(DiagnosticIds.InvalidReturnType)
    {
    }

    private protected override string? TitleFor(Diagnostic diagnostic) => ReturnType(diagnostic) is { } type ? $"Return '{type}'" : null;

    private static string? ReturnType(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(DiagnosticIds.FixReturnTypeProperty, out string? type) && type is "PolicyAction" or "void" ? type : null;

    private protected override void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        string? target = ReturnType(diagnostic);
        if (target is null
            || Enclosing<MethodDeclarationSyntax>(root, diagnostic.Location.SourceSpan) is not { } method)
        {
            return;
        }

        TypeSyntax type = target == "void"
            ? SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.VoidKeyword))
            : SyntaxFactory.ParseTypeName("global::SochDb.Policy.PolicyAction").WithAdditionalAnnotations(Simplifier.Annotation);
        editor.ReplaceNode(method.ReturnType, type.WithTriviaFrom(method.ReturnType));
    }
}
