using System.Composition;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using SochDb.Policy.Analyzers;

namespace SochDb.Policy.CodeFixes;

/// <summary>SOCH0002: adds <c>static</c> to a policy handler.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeHandlerStaticCodeFixProvider)), Shared]
public sealed class MakeHandlerStaticCodeFixProvider : PolicyCodeFixProvider
{
    /// <summary>Fixes SOCH0002.</summary>
    public MakeHandlerStaticCodeFixProvider()
        : base(DiagnosticIds.HandlerNotStatic)
    {
    }

    private protected override string? TitleFor(Diagnostic diagnostic) => "Make the handler static";

    private protected override void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Enclosing<MethodDeclarationSyntax>(root, diagnostic.Location.SourceSpan) is { } method)
        {
            editor.ReplaceNode(method, (current, _) => SyntaxModifiers.AddStatic((MethodDeclarationSyntax)current));
        }
    }
}
