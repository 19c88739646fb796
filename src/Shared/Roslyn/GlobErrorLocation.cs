using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Roslyn;

/// <summary>Where to squiggle a glob error: the offending characters inside a string literal, else the whole argument.</summary>
internal static class GlobErrorLocation
{
    public static Location For(ExpressionSyntax expression, GlobParseError error)
    {
        // An empty pattern has no offending character; a const reference or an expression has no characters of its own.
        if (error.Length > 0
            && expression is LiteralExpressionSyntax literal
            && literal.IsKind(SyntaxKind.StringLiteralExpression)
            && StringLiteralMap.TryCreate(literal.Token, out StringLiteralMap? map)
            && error.Position >= 0
            && error.Position + error.Length <= map!.Length)
        {
            return Location.Create(expression.SyntaxTree, map.Span(error.Position, error.Length));
        }

        return expression.GetLocation();
    }
}
