using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SochDb.Policy.CodeFixes;

/// <summary>Adds a modifier in its conventional place, keeping the declaration's comments and indentation where they were.</summary>
internal static class SyntaxModifiers
{
    /// <summary><c>public static class X</c> becomes <c>public static partial class X</c> (<c>partial</c> goes last).</summary>
    public static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return declaration;
        }

        if (declaration.Modifiers.Count == 0)
        {
            SyntaxToken keyword = declaration.Keyword;
            SyntaxToken partial = Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, TriviaList(Space));
            return declaration.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(TokenList(partial));
        }

        return declaration.WithModifiers(declaration.Modifiers.Add(Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(Space)));
    }

    /// <summary>Inserts <c>static</c> after the accessibility (and <c>new</c>) modifiers: <c>private static async</c>.</summary>
    public static MethodDeclarationSyntax AddStatic(MethodDeclarationSyntax declaration)
    {
        SyntaxTokenList modifiers = declaration.Modifiers;
        if (modifiers.Any(SyntaxKind.StaticKeyword))
        {
            return declaration;
        }

        if (modifiers.Count == 0)
        {
            SyntaxToken first = declaration.ReturnType.GetFirstToken();
            SyntaxToken keyword = Token(first.LeadingTrivia, SyntaxKind.StaticKeyword, TriviaList(Space));
            return declaration.ReplaceToken(first, first.WithLeadingTrivia()).WithModifiers(TokenList(keyword));
        }

        int index = 0;
        while (index < modifiers.Count && IsAccessibilityOrNew(modifiers[index]))
        {
            index++;
        }

        if (index == 0)
        {
            SyntaxToken keyword = Token(modifiers[0].LeadingTrivia, SyntaxKind.StaticKeyword, TriviaList(Space));
            modifiers = modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia()).Insert(0, keyword);
        }
        else
        {
            modifiers = modifiers.Insert(index, Token(SyntaxKind.StaticKeyword).WithTrailingTrivia(Space));
        }

        return declaration.WithModifiers(modifiers);
    }

    private static bool IsAccessibilityOrNew(SyntaxToken token) =>
        token.Kind() is SyntaxKind.PublicKeyword or SyntaxKind.PrivateKeyword or SyntaxKind.ProtectedKeyword
            or SyntaxKind.InternalKeyword or SyntaxKind.NewKeyword or SyntaxKind.FileKeyword;
}
