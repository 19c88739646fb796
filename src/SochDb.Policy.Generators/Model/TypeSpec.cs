using System;

namespace SochDb.Policy.Generators.Model;

/// <summary>One type in the chain of containing types: its keyword (<c>class</c>, <c>record struct</c>, ...) and name.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>The partial type that receives the generated <c>Compiled</c> property.</summary>
/// <param name="Namespace">The namespace, or empty for the global namespace.</param>
/// <param name="Types">The type and its containing types, outermost first.</param>
internal sealed record TypeSpec(string Namespace, EquatableArray<ContainingTypeSpec> Types)
{
    /// <summary><c>Outer.Inner</c>: how rules name their handlers (<c>Outer.Inner.Method</c>).</summary>
    public string DisplayName => string.Join(".", Array.ConvertAll(ToArray(), t => t.Name));

    /// <summary><c>Namespace.Outer.Inner</c>: the set's name and the sort key between classes.</summary>
    public string FullName => Namespace.Length == 0 ? DisplayName : Namespace + "." + DisplayName;

    /// <summary><c>global::Namespace.Outer.Inner</c>.</summary>
    public string GlobalName => "global::" + FullName;

    private ContainingTypeSpec[] ToArray()
    {
        var result = new ContainingTypeSpec[Types.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = Types[i];
        }

        return result;
    }
}
