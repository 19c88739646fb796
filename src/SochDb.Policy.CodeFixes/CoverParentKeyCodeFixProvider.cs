using System.Composition;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using SochDb.Policy.Analyzers;

namespace SochDb.Policy.CodeFixes;

/// <summary>
/// SOCH0016: a denial of <c>x/**</c> or <c>x/*</c> leaves the key <c>x</c> open. One pattern cannot cover both (<c>**</c>
/// is a whole segment, braces hold no <c>/</c>), so the fix adds a copy of the attribute whose pattern is <c>x</c>, in
/// its own attribute list right after the original: same trigger, same handler, same <c>Order</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CoverParentKeyCodeFixProvider)), Shared]
public sealed class CoverParentKeyCodeFixProvider : PolicyCodeFixProvider
{
    /// <summary>Fixes SOCH0016.</summary>
    public CoverParentKeyCodeFixProvider()
        : base(DiagnosticIds.OpenParent)
    {
    }

    private protected override string? TitleFor(Diagnostic diagnostic) =>
        diagnostic.Properties.ContainsKey(DiagnosticIds.ParentPatternProperty) ? "Deny the parent key too" : null;

    private protected override void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        string? parent = diagnostic.Properties[DiagnosticIds.ParentPatternProperty];
        if (parent is null
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax pattern
            || pattern.FirstAncestorOrSelf<AttributeSyntax>() is not { Parent: AttributeListSyntax list } attribute)
        {
            return;
        }

        AttributeSyntax copy = attribute.ReplaceNode(pattern, SyntaxFactory.LiteralExpression(
            SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(parent)).WithTriviaFrom(pattern));

        // The new list takes the original's indentation only (not its comments or doc comments), and its line break.
        SyntaxTriviaList leading = list.GetLeadingTrivia();
        int indentation = leading.Count;
        while (indentation > 0 && leading[indentation - 1].IsKind(SyntaxKind.WhitespaceTrivia))
        {
            indentation--;
        }

        var indent = new SyntaxTriviaList();
        for (int i = indentation; i < leading.Count; i++)
        {
            indent = indent.Add(leading[i]);
        }

        AttributeListSyntax added = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(copy))
            .WithLeadingTrivia(indent)
            .WithTrailingTrivia(list.GetTrailingTrivia());
        editor.InsertAfter(list, added);
    }
}
