using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using SochDb.Policy;
using SochDb.Policy.Generators;

namespace SochDb.Policy.Analyzers.Tests.Infrastructure;

/// <summary>
/// What the test compilations are made of: the .NET 10 reference assemblies shipped in a package (nothing is
/// downloaded at test time), the runtime assembly, and the policy attributes, which in a real build the generator adds
/// to the compilation. The harness runs no generator over the test code, so it adds the generator's attribute file as
/// a document of its own, taken from the generator's output (one definition of the attributes, never a copy).
/// </summary>
internal static class PolicyTestReferences
{
    /// <summary>The file name the generator gives the attributes; the test document of the same name holds them.</summary>
    public const string AttributeFileName = "SochDb.Policy.Attributes.g.cs";

    /// <summary>No package: the reference assemblies come from Basic.Reference.Assemblies.Net100.</summary>
    public static ReferenceAssemblies Assemblies { get; } = new("net10.0");

    public static MetadataReference Runtime { get; } = MetadataReference.CreateFromFile(typeof(PolicyAction).Assembly.Location);

    /// <summary>The policy attributes exactly as the generator adds them to every compilation (its post-initialization output).</summary>
    public static string AttributeSource { get; } = GeneratedAttributes();

    public static void AddTo(SolutionState state, bool includeRuntime = true)
    {
        state.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        if (includeRuntime)
        {
            state.AdditionalReferences.Add(Runtime);
        }
    }

    /// <summary>
    /// Appends the attribute document to <paramref name="state"/>, after the test's own documents, so those keep their
    /// default names (<c>/0/Test0.cs</c>, ...) and every expected location stays where it was.
    /// </summary>
    public static void AddAttributes(SolutionState state)
    {
        if (!state.Sources.Any(s => s.filename == AttributeFileName))
        {
            state.Sources.Add((AttributeFileName, AttributeSource));
        }
    }

    /// <summary>The syntax trees of a compilation without the attribute document (the generator adds its own copy).</summary>
    public static Compilation WithoutAttributes(Compilation compilation) =>
        compilation.RemoveSyntaxTrees(compilation.SyntaxTrees.Where(t => Path.GetFileName(t.FilePath) == AttributeFileName));

    private static string GeneratedAttributes()
    {
        // An empty compilation: the generator's only output is its post-initialization file, the attributes.
        GeneratorDriverRunResult run = CSharpGeneratorDriver.Create(new PolicyGenerator())
            .RunGenerators(CSharpCompilation.Create("AttributesOnly"))
            .GetRunResult();
        GeneratedSourceResult attributes = Assert.Single(run.Results.Single().GeneratedSources);
        Assert.Equal(AttributeFileName, attributes.HintName);
        return attributes.SourceText.ToString();
    }
}
