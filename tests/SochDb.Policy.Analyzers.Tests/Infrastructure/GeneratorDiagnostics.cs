using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SochDb.Policy.Generators;

namespace SochDb.Policy.Analyzers.Tests.Infrastructure;

/// <summary>
/// Runs the policy generator beside the analyzers and passes on what it reports (SOCH0001 on a policy attribute), so
/// the tests check the diagnostics a build shows, whichever component reports them: same markup, and a failure on any
/// diagnostic a test did not expect. The generator's diagnostics keep their own file, span and message. It runs on the
/// compilation without the harness's attribute document, since it adds the attributes itself, as in a real build.
/// </summary>
#pragma warning disable RS1036 // a test double that is never loaded by a compiler: the extended analyzer rules are for shipped analyzers
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class GeneratorDiagnostics : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.InvalidGlobPattern);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationAction(compilation =>
        {
            GeneratorDriver driver = CSharpGeneratorDriver
                .Create([new PolicyGenerator().AsSourceGenerator()], parseOptions: (CSharpParseOptions?)compilation.Compilation.SyntaxTrees.FirstOrDefault()?.Options)
                .RunGenerators(PolicyTestReferences.WithoutAttributes(compilation.Compilation), compilation.CancellationToken);
            foreach (Diagnostic diagnostic in driver.GetRunResult().Diagnostics)
            {
                compilation.ReportDiagnostic(diagnostic);
            }
        });
    }
}
#pragma warning restore RS1036
