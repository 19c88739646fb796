using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace SochDb.Policy.Analyzers.Tests.Infrastructure;

/// <summary>Expected diagnostics by descriptor, for tests that check arguments or several locations.</summary>
internal static class ExpectedDiagnostic
{
    public static DiagnosticResult Of(DiagnosticDescriptor descriptor) => new(descriptor);
}
