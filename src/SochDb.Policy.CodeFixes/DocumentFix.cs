using System;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;

namespace SochDb.Policy.CodeFixes;

/// <summary>
/// Applies one kind of fix for any number of diagnostics of a document in a single edit, so one fix and Fix All
/// run the same code, and fixes that touch the same or nested declarations (two handler types in one
/// non-partial outer class) compose instead of conflicting.
/// </summary>
internal static class DocumentFix
{
    /// <summary>Records the edits for one diagnostic; <paramref name="root"/> is the document's original root.</summary>
    public delegate void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken);

    public static async Task<Document> ApplyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, Edit edit, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var editor = new SyntaxEditor(root, document.Project.Solution.Services);
        foreach (Diagnostic diagnostic in diagnostics)
        {
            edit(editor, root, diagnostic, cancellationToken);
        }

        return document.WithSyntaxRoot(editor.GetChangedRoot());
    }

    /// <summary>Registers the fix for every diagnostic in <paramref name="context"/>.</summary>
    public static void Register(CodeFixContext context, string title, string equivalenceKey, Edit edit, Func<Diagnostic, bool>? applies = null)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (applies is not null && !applies(diagnostic))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    title,
                    ct => ApplyAsync(context.Document, ImmutableArray.Create(diagnostic), edit, ct),
                    equivalenceKey),
                diagnostic);
        }
    }

    /// <summary>A Fix All that applies <paramref name="edit"/> to all of a document's diagnostics at once.</summary>
    public static FixAllProvider FixAll(Edit edit, Func<Diagnostic, bool>? applies = null) =>
        FixAllProvider.Create(async (context, document, diagnostics) =>
            await ApplyAsync(document, applies is null ? diagnostics : diagnostics.RemoveAll(d => !applies(d)), edit, context.CancellationToken)
                .ConfigureAwait(false));
}
