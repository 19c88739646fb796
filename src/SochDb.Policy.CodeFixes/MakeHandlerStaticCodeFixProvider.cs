using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using SochDb.Policy.Analyzers;

namespace SochDb.Policy.CodeFixes;

/// <summary>SOCH0002: adds <c>static</c> to a policy handler.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeHandlerStaticCodeFixProvider)), Shared]
public sealed class MakeHandlerStaticCodeFixProvider : CodeFixProvider
{
    private const string Title = "Make the handler static";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.HandlerNotStatic);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => DocumentFix.FixAll(Edit);

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        DocumentFix.Register(context, Title, nameof(MakeHandlerStaticCodeFixProvider), Edit);
        return Task.CompletedTask;
    }

    private static void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<MethodDeclarationSyntax>() is { } method)
        {
            editor.ReplaceNode(method, (current, _) => SyntaxModifiers.AddStatic((MethodDeclarationSyntax)current));
        }
    }
}
