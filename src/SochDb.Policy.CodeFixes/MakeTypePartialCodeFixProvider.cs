using System.Composition;
using System.Threading;
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
public sealed class MakeTypePartialCodeFixProvider : PolicyCodeFixProvider
{
    /// <summary>Fixes SOCH0006.</summary>
    public MakeTypePartialCodeFixProvider()
        : base(DiagnosticIds.TypeNotPartial)
    {
    }

    private protected override string? TitleFor(Diagnostic diagnostic) => "Make the type and its containing types partial";

    private protected override void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        foreach (Location location in diagnostic.AdditionalLocations)
        {
            if (location.SourceTree == root.SyntaxTree && Enclosing<TypeDeclarationSyntax>(root, location.SourceSpan) is { } declaration)
            {
                editor.ReplaceNode(declaration, (current, _) => SyntaxModifiers.AddPartial((TypeDeclarationSyntax)current));
            }
        }
    }
}
