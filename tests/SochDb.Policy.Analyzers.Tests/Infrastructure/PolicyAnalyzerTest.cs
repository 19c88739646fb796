using System.Collections.Immutable;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace SochDb.Policy.Analyzers.Tests.Infrastructure;

/// <summary>
/// Runs every policy analyzer at once, and the generator's own diagnostics (<see cref="GeneratorDiagnostics"/>), so a
/// test fails on any diagnostic it did not expect, whichever component reports it (and on any compiler error in the
/// test source).
/// </summary>
internal sealed class PolicyAnalyzerTest : CSharpAnalyzerTest<HandlerSignatureAnalyzer, DefaultVerifier>
{
    private readonly bool _includeRuntime;

    public PolicyAnalyzerTest(bool includeRuntime = true)
    {
        _includeRuntime = includeRuntime;
        ReferenceAssemblies = PolicyTestReferences.Assemblies;
        PolicyTestReferences.AddTo(TestState, includeRuntime);

        // Some IDs have message variants (SOCH0010, SOCH0012); `{|ID:span|}` markup checks ID and span, not the message.
        MarkupOptions = MarkupOptions.UseFirstDescriptor;

        // SOCH0016 (info) fires on most sample denials of "x/*"; its own tests turn it back on.
        DisabledDiagnostics.Add("SOCH0016");
    }

    public static ImmutableArray<DiagnosticAnalyzer> AllAnalyzers { get; } = ImmutableArray.Create<DiagnosticAnalyzer>(
        new HandlerSignatureAnalyzer(),
        new PolicyTypeAnalyzer(),
        new RuleAttributeAnalyzer(),
        new RuntimePatternAnalyzer(),
        new LocalFunctionHandlerAnalyzer(),
        new RuntimeRateLimitAnalyzer(),
        new RuleSetAnalyzer());

    /// <summary>The analyzers plus the generator's own diagnostics: everything a build reports about policy attributes.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> AnalyzersAndGenerator { get; } = AllAnalyzers.Add(new GeneratorDiagnostics());

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => AnalyzersAndGenerator;

    /// <summary>
    /// With the runtime referenced, the compilation also gets the attributes, as the generator gives them to a real
    /// build; added last, when the test's own documents are known. (Without the runtime there is no generator either:
    /// it ships in the same package.)
    /// </summary>
    protected override Task RunImplAsync(CancellationToken cancellationToken)
    {
        if (_includeRuntime)
        {
            PolicyTestReferences.AddAttributes(TestState);
        }

        return base.RunImplAsync(cancellationToken);
    }

    /// <summary>Analyzes <paramref name="source"/> (markup: <c>{|SOCH0001:span|}</c>, <c>{|#0:span|}</c>) and expects exactly <paramref name="expected"/>.</summary>
    public static Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new PolicyAnalyzerTest { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}
