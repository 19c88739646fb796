using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace SochDb.Policy.Analyzers.Tests.Infrastructure;

/// <summary>Runs every policy analyzer and one code fix; before and after states must hold exactly the expected diagnostics.</summary>
internal sealed class PolicyCodeFixTest<TCodeFix> : CSharpCodeFixTest<HandlerSignatureAnalyzer, TCodeFix, DefaultVerifier>
    where TCodeFix : CodeFixProvider, new()
{
    public PolicyCodeFixTest()
    {
        ReferenceAssemblies = PolicyTestReferences.Assemblies;
        PolicyTestReferences.AddTo(TestState);
        PolicyTestReferences.AddTo(FixedState);

        // Some IDs have message variants (SOCH0010, SOCH0012); `{|ID:span|}` markup checks ID and span, not the message.
        MarkupOptions = MarkupOptions.UseFirstDescriptor;

        // SOCH0016 (info) fires on most sample denials of "x/*"; its own tests turn it back on.
        DisabledDiagnostics.Add("SOCH0016");
    }

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => PolicyAnalyzerTest.AnalyzersAndGenerator;

    /// <summary>The attributes as the generator gives them to a real build, in the state before the fix and after it.</summary>
    protected override Task RunImplAsync(CancellationToken cancellationToken)
    {
        PolicyTestReferences.AddAttributes(TestState);
        if (FixedState.Sources.Count > 0)
        {
            PolicyTestReferences.AddAttributes(FixedState);
        }

        return base.RunImplAsync(cancellationToken);
    }

    public static Task VerifyAsync(string source, string fixedSource, params DiagnosticResult[] expected)
    {
        var test = new PolicyCodeFixTest<TCodeFix> { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}
