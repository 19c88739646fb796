using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SochDb.Policy.Roslyn;

/// <summary>Finds the syntax of an attribute's arguments, so diagnostics land on the argument rather than the attribute.</summary>
internal static class AttributeArguments
{
    public static AttributeSyntax? Syntax(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

    /// <summary>The expression given for constructor parameter <paramref name="index"/>, positional or <c>name:</c>.</summary>
    public static ExpressionSyntax? Constructor(AttributeSyntax? syntax, AttributeData attribute, int index)
    {
        if (syntax?.ArgumentList is null || attribute.AttributeConstructor is not { } constructor || index >= constructor.Parameters.Length)
        {
            return null;
        }

        string name = constructor.Parameters[index].Name;
        int position = 0;
        foreach (AttributeArgumentSyntax argument in syntax.ArgumentList.Arguments)
        {
            if (argument.NameEquals is not null)
            {
                continue;
            }

            if (argument.NameColon is not null)
            {
                if (argument.NameColon.Name.Identifier.ValueText == name)
                {
                    return argument.Expression;
                }

                continue;
            }

            if (position == index)
            {
                return argument.Expression;
            }

            position++;
        }

        return null;
    }

    /// <summary>The expression given for the named property <paramref name="name"/> (<c>Scope = "..."</c>).</summary>
    public static ExpressionSyntax? Named(AttributeSyntax? syntax, string name)
    {
        if (syntax?.ArgumentList is null)
        {
            return null;
        }

        foreach (AttributeArgumentSyntax argument in syntax.ArgumentList.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == name)
            {
                return argument.Expression;
            }
        }

        return null;
    }

    /// <summary>The best location for an argument: its expression, else the attribute, else nothing.</summary>
    public static Location LocationOf(ExpressionSyntax? expression, AttributeSyntax? syntax) =>
        expression?.GetLocation() ?? syntax?.GetLocation() ?? Location.None;
}
