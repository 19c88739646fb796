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

/// <summary>
/// SOCH0006: adds <c>partial</c> to every declaration the diagnostic lists (the type and its containing types).
/// A type without <c>partial</c> has a single declaration, which holds the declarations of the types nested in it,
/// so every edit lands in the diagnostic's own document.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeTypePartialCodeFixProvider)), Shared]
public sealed class MakeTypePartialCodeFixProvider : CodeFixProvider
{
    private const string Title = "Make the type and its containing types partial";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.TypeNotPartial);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => DocumentFix.FixAll(Edit);

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        DocumentFix.Register(context, Title, nameof(MakeTypePartialCodeFixProvider), Edit);
        return Task.CompletedTask;
    }

    private static void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        foreach (Location location in diagnostic.AdditionalLocations)
        {
            if (location.SourceTree != root.SyntaxTree)
            {
                continue;
            }

            if (root.FindToken(location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } declaration)
            {
                editor.ReplaceNode(declaration, (current, _) => SyntaxModifiers.AddPartial((TypeDeclarationSyntax)current));
            }
        }
    }
}
