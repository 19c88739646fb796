using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Text;

namespace SochDb.Policy.CodeFixes;

/// <summary>
/// What every policy code fix shares: one diagnostic ID, one action per diagnostic, and one edit that is applied to any
/// number of a document's diagnostics in a single <see cref="SyntaxEditor"/> pass. So one fix and Fix All run the same
/// code, and fixes that touch the same or nested declarations (two handler types in one non-partial outer class) compose
/// instead of conflicting. A fix says what it does (<see cref="TitleFor"/>) and how (<see cref="Edit"/>); nothing else.
/// </summary>
public abstract class PolicyCodeFixProvider : CodeFixProvider
{
    private readonly string _diagnosticId;

    /// <summary>Fixes <paramref name="diagnosticId"/>.</summary>
    private protected PolicyCodeFixProvider(string diagnosticId)
    {
        _diagnosticId = diagnosticId;
        FixableDiagnosticIds = ImmutableArray.Create(diagnosticId);
    }

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    /// <inheritdoc />
    public sealed override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create(async (context, document, diagnostics) =>
            await ApplyAsync(document, diagnostics.RemoveAll(d => TitleFor(d) is null), context.CancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public sealed override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (diagnostic.Id != _diagnosticId || TitleFor(diagnostic) is not { } title)
            {
                continue;
            }

            // One equivalence key per provider: Fix All then applies each diagnostic's own fix.
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => ApplyAsync(context.Document, ImmutableArray.Create(diagnostic), ct), GetType().Name),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    /// <summary>The action's title for <paramref name="diagnostic"/>, or null when this fix does not apply to it.</summary>
    private protected abstract string? TitleFor(Diagnostic diagnostic);

    /// <summary>Records the edits for one diagnostic; <paramref name="root"/> is the document's original root.</summary>
    private protected abstract void Edit(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken);

    /// <summary>The innermost <typeparamref name="T"/> around <paramref name="span"/>, or null.</summary>
    private protected static T? Enclosing<T>(SyntaxNode root, TextSpan span)
        where T : SyntaxNode =>
        root.FindNode(span, getInnermostNodeForTie: true).FirstAncestorOrSelf<T>();

    private async Task<Document> ApplyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var editor = new SyntaxEditor(root, document.Project.Solution.Services);
        foreach (Diagnostic diagnostic in diagnostics)
        {
            Edit(editor, root, diagnostic, cancellationToken);
        }

        return document.WithSyntaxRoot(editor.GetChangedRoot());
    }
}
