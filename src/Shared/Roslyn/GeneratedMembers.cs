using Microsoft.CodeAnalysis;

namespace SochDb.Policy.Roslyn;

/// <summary>
/// The members the generator adds to every type holding policy rules, and the one check of whether a type can take
/// them: the analyzers report SOCH0013 from it, and the generator emits nothing into a type it fails for.
/// </summary>
internal static class GeneratedMembers
{
    /// <summary>The generated <c>public static CompiledPolicySet Compiled { get; }</c>.</summary>
    public const string CompiledProperty = "Compiled";

    /// <summary>The generated private nested class implementing the set.</summary>
    public const string SetClass = "CompiledPolicies";

    /// <summary>The tool name in the generated members' <c>[GeneratedCode]</c> attribute.</summary>
    public const string GeneratorName = "SochDb.Policy.Generators";

    private static readonly string[] Names = { CompiledProperty, SetClass };

    /// <summary>
    /// The first generated name <paramref name="type"/> cannot take, with why: the type is named so itself, declares
    /// a member of that name, or inherits one. Members this generator added earlier do not count.
    /// </summary>
    public static GeneratedMemberConflict? FindConflict(INamedTypeSymbol type)
    {
        foreach (string name in Names)
        {
            if (type.Name == name)
            {
                return new GeneratedMemberConflict(name, null, "the type itself is named '" + name + "'");
            }

            foreach (ISymbol member in type.GetMembers(name))
            {
                if (!IsGenerated(member))
                {
                    return new GeneratedMemberConflict(name, member, "it already declares a member named '" + name + "'");
                }
            }

            for (INamedTypeSymbol? baseType = type.BaseType; baseType is { SpecialType: not SpecialType.System_Object }; baseType = baseType.BaseType)
            {
                foreach (ISymbol member in baseType.GetMembers(name))
                {
                    // A private member of a base type is not visible here, so the generated one hides nothing.
                    if (member.DeclaredAccessibility != Accessibility.Private)
                    {
                        return new GeneratedMemberConflict(
                            name, null, "it inherits a member named '" + name + "' from '" + baseType.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) + "'");
                    }
                }
            }
        }

        return null;
    }

    private static bool IsGenerated(ISymbol member)
    {
        foreach (AttributeData attribute in member.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "GeneratedCodeAttribute" } attributeClass
                && attributeClass.ContainingNamespace?.ToDisplayString() == "System.CodeDom.Compiler"
                && attribute.ConstructorArguments.Length > 0
                && attribute.ConstructorArguments[0].Value as string == GeneratorName)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A generated name a type cannot take.</summary>
/// <param name="Name">The generated member's name.</param>
/// <param name="Member">The type's own member of that name, when it declares one (where the analyzer reports).</param>
/// <param name="Reason">Why, as a clause: "it already declares a member named 'Compiled'".</param>
internal sealed record GeneratedMemberConflict(string Name, ISymbol? Member, string Reason);
