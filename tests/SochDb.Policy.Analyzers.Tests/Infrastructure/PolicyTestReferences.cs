using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using SochDb.Policy;

namespace SochDb.Policy.Analyzers.Tests.Infrastructure;

/// <summary>
/// References for the test compilations: the .NET 10 reference assemblies shipped in a package (nothing is
/// downloaded at test time) and the runtime assembly that holds the policy attributes.
/// </summary>
internal static class PolicyTestReferences
{
    /// <summary>No package: the reference assemblies come from Basic.Reference.Assemblies.Net100.</summary>
    public static ReferenceAssemblies Assemblies { get; } = new("net10.0");

    public static MetadataReference Runtime { get; } = MetadataReference.CreateFromFile(typeof(PolicyAction).Assembly.Location);

    public static void AddTo(SolutionState state, bool includeRuntime = true)
    {
        state.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        if (includeRuntime)
        {
            state.AdditionalReferences.Add(Runtime);
        }
    }
}
