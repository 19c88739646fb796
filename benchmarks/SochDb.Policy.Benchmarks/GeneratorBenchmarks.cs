extern alias generator;

using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PolicyGenerator = generator::SochDb.Policy.Generators.PolicyGenerator;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// The source generator's own run time on a 1,000-handler class (target T6 in docs/benchmarks.md), against the compiler's
/// binding of the same compilation (GetDiagnostics) as the in-run baseline.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _editedCompilation = null!;
    private CSharpCompilation _boundCompilation = null!;
    private GeneratorDriver _warmDriver = null!;

    [GlobalSetup]
    public void Setup()
    {
        var source = new StringBuilder("using SochDb.Policy;\nnamespace Bench;\npublic static partial class ThousandRules\n{\n");
        for (int i = 0; i < 1000; i++)
        {
            source.Append("    [BeforeWrite(\"").Append(RulePatterns.For(i)).Append("\")] static PolicyAction R").Append(i)
                .Append("(in PolicyRequest r) => PolicyAction.Allow;\n");
        }

        source.Append("}\n");
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        _compilation = CSharpCompilation.Create(
            "Bench",
            [CSharpSyntaxTree.ParseText(source.ToString(), parse), CSharpSyntaxTree.ParseText("namespace Bench { public static class Other { public static int X => 1; } }", parse)],
            [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(SochDb.Policy.CompilerServices.CompiledPolicySet).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _editedCompilation = _compilation.ReplaceSyntaxTree(
            _compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("namespace Bench { public static class Other { public static int X => 2; } }", parse));
        _warmDriver = CSharpGeneratorDriver.Create(new PolicyGenerator()).RunGenerators(_compilation);

        // The compiler binds the class with the attributes the generator adds (its post-initialization file), as in a build.
        SyntaxTree attributes = _warmDriver.GetRunResult().Results[0].GeneratedSources
            .Single(s => s.HintName == "SochDb.Policy.Attributes.g.cs").SyntaxTree;
        _boundCompilation = _compilation.AddSyntaxTrees(attributes);
        if (_boundCompilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            throw new InvalidOperationException("the benchmark's class must bind without errors");
        }
    }

    [Benchmark(Baseline = true, Description = "compiler: bind the 1,000-handler class")]
    public int CompilerBinding() => _boundCompilation.WithAssemblyName("Bench" + Environment.TickCount).GetDiagnostics().Length;

    [Benchmark(Description = "generator: cold run, 1,000 handlers")]
    public GeneratorDriver ColdRun() => CSharpGeneratorDriver.Create(new PolicyGenerator()).RunGenerators(_compilation);

    [Benchmark(Description = "generator: unrelated edit, warm driver")]
    public GeneratorDriver UnrelatedEdit() => _warmDriver.RunGenerators(_editedCompilation);
}
