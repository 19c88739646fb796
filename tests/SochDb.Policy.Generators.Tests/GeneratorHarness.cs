using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SochDb.Policy.Generators;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Generators.Tests;

/// <summary>Compiles C# in memory with the policy generator, the .NET 10 reference assemblies and SochDb.Policy.dll.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly ImmutableArray<MetadataReference> References =
        [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(CompiledPolicySet).Assembly.Location)];

    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create(
            "PolicyTests" + Guid.NewGuid().ToString("N"),
            sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(bool trackSteps = true) =>
        CSharpGeneratorDriver.Create(
            [new PolicyGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator; fails on any diagnostic in the generated output or the resulting compilation.</summary>
    public static GeneratorResult Run(params string[] sources)
    {
        CSharpCompilation input = CreateCompilation(sources);
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(errors.Length == 0, "The compilation has diagnostics:\n" + string.Join("\n", errors.Select(d => d.ToString())));
        return new GeneratorResult(driver, output, driver.GetRunResult());
    }

    /// <summary>
    /// Runs the generator on sources with attributes it cannot compile: the only diagnostics allowed are the CS1029
    /// errors of its #error list, which is returned and taken out of <see cref="GeneratorResult.Output"/> so the rest loads.
    /// </summary>
    public static (GeneratorResult Result, string[] ErrorLines) RunWithRejections(params string[] sources)
    {
        (GeneratorResult result, string[] lines, ImmutableArray<Diagnostic> reported) = RunWithInvalidRules(sources);
        Assert.Empty(reported);
        return (result, lines);
    }

    /// <summary>
    /// As <see cref="RunWithRejections"/>, and also returns what the generator reported itself (SOCH0001 for invalid
    /// patterns, which need no #error line).
    /// </summary>
    public static (GeneratorResult Result, string[] ErrorLines, ImmutableArray<Diagnostic> Reported) RunWithInvalidRules(params string[] sources)
    {
        CSharpCompilation input = CreateCompilation(sources);
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        SyntaxTree? rejected = output.SyntaxTrees.SingleOrDefault(t => t.FilePath.EndsWith(RejectionEmitter.HintName, StringComparison.Ordinal));
        var unexpected = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && !(d.Id == "CS1029" && d.Location.SourceTree == rejected))
            .ToArray();
        Assert.True(unexpected.Length == 0, "The compilation has diagnostics:\n" + string.Join("\n", unexpected.Select(d => d.ToString())));
        string[] lines = rejected is null
            ? []
            : rejected.GetText().Lines.Select(l => l.ToString()).Where(l => l.StartsWith("#error", StringComparison.Ordinal)).ToArray();
        Assert.Equal(lines.Length, output.GetDiagnostics().Count(d => d.Id == "CS1029"));
        Compilation loadable = rejected is null ? output : output.RemoveSyntaxTrees(rejected);
        return (new GeneratorResult(driver, loadable, driver.GetRunResult()), lines, generatorDiagnostics);
    }

    /// <summary>Emits the compilation and loads it into a collectible context (SochDb.Policy resolves to the test's copy).</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        stream.Position = 0;
        var context = new AssemblyLoadContext("policy-test-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        return context.LoadFromStream(stream);
    }

    public static CompiledPolicySet CompiledSet(Assembly assembly, string typeName)
    {
        Type type = assembly.GetType(typeName) ?? throw new InvalidOperationException("no type " + typeName);
        PropertyInfo property = type.GetProperty("Compiled", BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException(typeName + " has no Compiled property");
        return (CompiledPolicySet)property.GetValue(null)!;
    }

    /// <summary>The generated text with the generator's version replaced, so snapshots survive version bumps.</summary>
    public static string Normalize(string generated) =>
        System.Text.RegularExpressions.Regex.Replace(
            generated, "GeneratedCode\\(\"SochDb.Policy.Generators\", \"[^\"]*\"\\)", "GeneratedCode(\"SochDb.Policy.Generators\", \"<version>\")");
}

internal sealed record GeneratorResult(GeneratorDriver Driver, Compilation Output, GeneratorDriverRunResult RunResult)
{
    public IEnumerable<GeneratedSourceResult> Sources => RunResult.Results.SelectMany(r => r.GeneratedSources);

    public string Source(string hintName) => Sources.Single(s => s.HintName == hintName).SourceText.ToString();
}
