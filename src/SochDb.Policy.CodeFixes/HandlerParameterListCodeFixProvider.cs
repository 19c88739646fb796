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

/// <summary>SOCH0003: rewrites a handler's parameter list to the canonical <c>(in PolicyRequest request)</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HandlerParameterListCodeFixProvider)), Shared]
public sealed class HandlerParameterListCodeFixProvider : PolicyCodeFixProvider
{
    /// <summary>Fixes SOCH0003.</summary>
    public HandlerParameterListCodeFixProvider()
        : base(DiagnosticIds.UnsupportedParameterList)
    {
    }

    private protected override string? TitleFor(Diagnostic diagnostic) => "Use '(in PolicyRequest request)'";

    private protected override void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Enclosing<ParameterListSyntax>(root, diagnostic.Location.SourceSpan) is not { } list)
        {
            return;
        }

        TypeSyntax type = SyntaxFactory.ParseTypeName("global::SochDb.Policy.PolicyRequest")
            .WithAdditionalAnnotations(Simplifier.Annotation);
        ParameterSyntax parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier("request"))
            .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(SyntaxKind.InKeyword).WithTrailingTrivia(SyntaxFactory.Space)))
            .WithType(type.WithTrailingTrivia(SyntaxFactory.Space));
        ParameterListSyntax canonical = SyntaxFactory.ParameterList(SyntaxFactory.SingletonSeparatedList(parameter))
            .WithOpenParenToken(list.OpenParenToken)
            .WithCloseParenToken(list.CloseParenToken);
        editor.ReplaceNode(list, canonical);
    }
}
