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

/// <summary>SOCH0003: rewrites a handler's parameter list to the canonical <c>(in PolicyRequest request)</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HandlerParameterListCodeFixProvider)), Shared]
public sealed class HandlerParameterListCodeFixProvider : CodeFixProvider
{
    private const string Title = "Use '(in PolicyRequest request)'";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UnsupportedParameterList);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => DocumentFix.FixAll(Edit);

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        DocumentFix.Register(context, Title, nameof(HandlerParameterListCodeFixProvider), Edit);
        return Task.CompletedTask;
    }

    private static void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<ParameterListSyntax>() is not { } list)
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
