using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace SochDb.Policy.Generators.Model;

/// <summary>
/// A policy attribute the generator cannot compile. An invalid pattern (<paramref name="InvalidPattern"/>) is reported
/// by the generator itself as SOCH0001, which cannot be configured away; anything else becomes an <c>#error</c> in the
/// generated code beside the analyzer diagnostic that explains it. Either way the build fails, whatever severity the
/// analyzers were given, so a rule is never left out silently.
/// </summary>
/// <param name="Attribute">The attribute as written, e.g. <c>[BeforeRead("users/*")]</c>.</param>
/// <param name="Target">What it is on: <c>AgentPolicies.Guard</c>, or a type's full name for class-level attributes.</param>
/// <param name="Reason">Why it cannot be compiled, ending with the diagnostic ID that reports it.</param>
/// <param name="InvalidPattern">The SOCH0001 the generator reports for it, when the reason is the pattern.</param>
internal sealed record RejectedRule(string Attribute, string Target, string Reason, InvalidPattern? InvalidPattern = null);

/// <summary>
/// SOCH0001 as values: the pattern as the message shows it, the grammar's complaint, and where (a file path and spans,
/// never a <see cref="Location"/>, so the model compares by value and holds nothing of the compilation).
/// </summary>
internal sealed record InvalidPattern(
    string Shown, string Problem, string FilePath, int Start, int Length, int StartLine, int StartCharacter, int EndLine, int EndCharacter)
{
    /// <summary>Where the compiler would report it: the file and lines after any <c>#line</c> directive, as its own diagnostics are.</summary>
    public static InvalidPattern At(Location location, string shown, string problem)
    {
        FileLinePositionSpan lines = location.GetMappedLineSpan();
        return new InvalidPattern(
            shown,
            problem,
            lines.Path ?? "",
            location.SourceSpan.Start,
            location.SourceSpan.Length,
            lines.StartLinePosition.Line,
            lines.StartLinePosition.Character,
            lines.EndLinePosition.Line,
            lines.EndLinePosition.Character);
    }

    /// <summary>The diagnostic, on the same file, span and line span (an external-file location: no syntax tree is kept).</summary>
    public Diagnostic ToDiagnostic() => Diagnostic.Create(
        GlobPatternDiagnostic.Descriptor,
        Location.Create(
            FilePath,
            new TextSpan(Start, Length),
            new LinePositionSpan(new LinePosition(StartLine, StartCharacter), new LinePosition(EndLine, EndCharacter))),
        Shown,
        Problem);
}
