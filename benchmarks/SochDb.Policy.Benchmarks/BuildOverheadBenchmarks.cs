extern alias analyzers;
extern alias generator;

using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using PolicyGenerator = generator::SochDb.Policy.Generators.PolicyGenerator;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// T15's second half: what the source generator and the analyzers add to a build that declares no policies. A project
/// of 200 ordinary classes (methods, properties, attributes, lambdas) that references SochDb.Policy, so the analyzers do
/// register their actions, but holds no policy attribute. Baseline: the compiler alone (binding and diagnostics of the
/// same compilation); the other case runs the generator, then the compiler with every policy analyzer attached.
/// </summary>
[MemoryDiagnoser]
public class BuildOverheadBenchmarks
{
    private CSharpCompilation _compilation = null!;
    private ImmutableArray<DiagnosticAnalyzer> _analyzers;
    private int _run;

    [GlobalSetup]
    public void Setup()
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new List<SyntaxTree>();
        for (int file = 0; file < 20; file++)
        {
            var source = new StringBuilder("using System;\nusing System.Collections.Generic;\nusing System.Linq;\nusing SochDb.Policy;\nnamespace App.Part").Append(file).Append(";\n");
            for (int type = 0; type < 10; type++)
            {
                source.Append("[Serializable]\npublic sealed partial class Service").Append(type).Append("\n{\n")
                    .Append("    private readonly List<string> _items = new();\n")
                    .Append("    public int Count => _items.Count;\n")
                    .Append("    [Obsolete(\"use Add\")] public void Put(string item) => _items.Add(item);\n")
                    .Append("    public void Add(string item) { if (item.Length > 0) { _items.Add(item); } }\n")
                    .Append("    public IEnumerable<string> Matching(string prefix) => _items.Where(i => i.StartsWith(prefix, StringComparison.Ordinal));\n")
                    .Append("    public static PolicyAction Decide(bool allowed) => allowed ? PolicyAction.Allow : PolicyAction.Deny;\n")
                    .Append("}\n");
            }

            trees.Add(CSharpSyntaxTree.ParseText(source.ToString(), parse, path: "File" + file + ".cs"));
        }

        _compilation = CSharpCompilation.Create(
            "NoPolicies",
            trees,
            [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(SochDb.Policy.CompilerServices.CompiledPolicySet).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _analyzers = typeof(analyzers::SochDb.Policy.Analyzers.RuleSetAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        if (_analyzers.Length < 5 || _compilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            throw new InvalidOperationException("the benchmark's project must compile and every analyzer must be found");
        }
    }

    /// <summary>A new assembly name each time: a compilation caches its diagnostics.</summary>
    private CSharpCompilation Fresh() => _compilation.WithAssemblyName("NoPolicies" + ++_run);

    [Benchmark(Baseline = true, Description = "compiler alone: 200 classes, no policies")]
    public int CompilerAlone() => Fresh().GetDiagnostics().Length;

    /// <summary>
    /// What every SDK build pays anyway once any analyzer runs (the SDK's own are on by default): the analyzer driver,
    /// here with one analyzer that registers nothing. The figure to compare the policy analyzers with.
    /// </summary>
    [Benchmark(Description = "compiler + an analyzer that does nothing")]
    public int WithIdleAnalyzer() =>
        Fresh().WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new IdleAnalyzer())).GetAllDiagnosticsAsync().GetAwaiter().GetResult().Length;

    [Benchmark(Description = "compiler + generator + analyzers, same classes")]
    public int WithGeneratorAndAnalyzers()
    {
        CSharpGeneratorDriver.Create(new PolicyGenerator())
            .RunGeneratorsAndUpdateCompilation(Fresh(), out Compilation output, out _);
        return output.WithAnalyzers(_analyzers).GetAllDiagnosticsAsync().GetAwaiter().GetResult().Length;
    }

    /// <summary>An analyzer that supports one diagnostic and registers nothing.</summary>
#pragma warning disable RS1036, RS1001, RS2008 // a benchmark's stand-in, never loaded by a compiler
    private sealed class IdleAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Unused = new("IDLE0001", "Unused", "Unused", "Benchmark", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Unused);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        }
    }
#pragma warning restore RS1036, RS1001, RS2008
}
