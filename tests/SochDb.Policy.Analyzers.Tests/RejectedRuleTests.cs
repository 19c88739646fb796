using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SochDb.Policy.Analyzers.Tests.Infrastructure;
using SochDb.Policy.Generators;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>
/// A policy attribute is never ignored without a build error: an invalid pattern is the generator's own SOCH0001 (not
/// configurable), and whatever else the generator cannot compile becomes an <c>#error</c> (CS1029, which no analyzer
/// setting can silence) naming the attribute, its target and the SOCH diagnostic that explains it, so suppressing that
/// diagnostic cannot turn a guard into a silently missing rule.
/// </summary>
public sealed class RejectedRuleTests
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>The generated file holding the #error list (the generator's RejectionEmitter.HintName).</summary>
    private const string RejectedRulesFile = "SochDb.Policy.RejectedRules.g.cs";

    public static TheoryData<string, string, string> Rejections { get; } = new()
    {
        {
            "[BeforeRead(\"users/*\")] static bool Guard(in PolicyRequest request) => true;",
            "[BeforeRead(\"users/*\")] on AgentPolicies.Guard",
            "the handler's return type is not valid for BeforeRead (SOCH0004)"
        },
        {
            "[BeforeWrite(\"system/*\")] PolicyAction Guard(in PolicyRequest request) => PolicyAction.Deny;",
            "[BeforeWrite(\"system/*\")] on AgentPolicies.Guard",
            "the handler is not static (SOCH0002)"
        },
        {
            "[BeforeWrite(\"system/*\")] static PolicyAction Guard(string key) => PolicyAction.Deny;",
            "[BeforeWrite(\"system/*\")] on AgentPolicies.Guard",
            "the handler's parameter list cannot be called (SOCH0003)"
        },
        {
            "[BeforeDelete(\"a/*\")] static PolicyAction Guard<T>(in PolicyRequest request) => PolicyAction.Deny;",
            "[BeforeDelete(\"a/*\")] on AgentPolicies.Guard",
            "the handler is async, returns a task or is generic (SOCH0005)"
        },
        {
            "static int Value { [BeforeRead(\"a/*\")] get => 1; }",
            "[BeforeRead(\"a/*\")] on AgentPolicies.Value.get",
            "the generator only compiles ordinary methods declared in a type"
        },
        {
            "static void Outer() { [BeforeRead(\"a/*\")] static PolicyAction Local(in PolicyRequest request) => PolicyAction.Deny; }",
            "[BeforeRead(\"a/*\")] on the local function 'Local' in AgentPolicies.Outer() at Policies.cs(",
            "never a local function or lambda (SOCH0012)"
        },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void HandlerTheGeneratorCannotCompileIsAnErrorNoSettingCanSilence(string member, string attributeAndTarget, string reason)
    {
        (string rejected, ImmutableArray<Diagnostic> errors) = Generate($$"""
            using SochDb.Policy;

            public static partial class AgentPolicies
            {
                {{member}}
            }
            """);

        string line = Assert.Single(rejected.Split('\n'), l => l.StartsWith("#error", StringComparison.Ordinal));
        Assert.StartsWith("#error SochDb.Policy: " + attributeAndTarget, line);
        Assert.Contains(" is not compiled: ", line);
        Assert.Contains(reason, line);
        Assert.Contains(errors, e => e.Id == "CS1029" && e.GetMessage().Contains(attributeAndTarget, StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string> InvalidPatterns { get; } = new()
    {
        { "[BeforeWrite(\"sys[tem\")] static PolicyAction Guard(in PolicyRequest request) => PolicyAction.Deny;", "unclosed '[' at 3", "[" },
        { "[BeforeWrite(\"a/*\"), BeforeWrite(\"a/**x\")] static PolicyAction Guard(in PolicyRequest request) => PolicyAction.Deny;", "at 2", "**" },
        // A handler the dispatch could not call anyway: its pattern is still reported, and nothing else for that attribute.
        { "[BeforeWrite(\"sys[tem\")] PolicyAction Guard(in PolicyRequest request) => PolicyAction.Deny;", "unclosed '[' at 3", "[" },
    };

    /// <summary>
    /// One mistake, one error: an invalid pattern is the generator's own SOCH0001 (not configurable, so nothing hides it),
    /// on the offending characters, with no #error beside it.
    /// </summary>
    [Theory]
    [MemberData(nameof(InvalidPatterns))]
    public void InvalidPatternIsReportedByTheGeneratorAsNotConfigurableSoch0001(string member, string problem, string offending)
    {
        string source = $$"""
            using SochDb.Policy;

            public partial class AgentPolicies
            {
                {{member}}
            }
            """;
        GeneratorOutcome outcome = Run(source);

        Diagnostic diagnostic = Assert.Single(outcome.Reported);
        Assert.Equal("SOCH0001", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(WellKnownDiagnosticTags.NotConfigurable, diagnostic.Descriptor.CustomTags);
        Assert.Contains(problem, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("Policies.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(offending, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(4, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal("", outcome.Rejected);
        Assert.Empty(outcome.Errors);
    }

    [Fact]
    public void RulesOfATypeThatIsNotPartialAreEachAnError()
    {
        (string rejected, ImmutableArray<Diagnostic> errors) = Generate("""
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeDelete, "audit/**")]
            public static class AgentPolicies
            {
                [BeforeWrite("system/*")]
                static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
            }
            """);

        Assert.Contains("#error SochDb.Policy: [BeforeWrite(\"system/*\")] on AgentPolicies.Block is not compiled: 'AgentPolicies' is not declared partial everywhere (SOCH0006)", rejected);
        Assert.Contains("#error SochDb.Policy: [DenyAll(PolicyTrigger.BeforeDelete, \"audit/**\")] on AgentPolicies is not compiled: 'AgentPolicies' is not declared partial everywhere (SOCH0006)", rejected);
        Assert.Equal(2, errors.Count(e => e.Id == "CS1029"));
    }

    [Fact]
    public void RulesOfAGenericTypeAreEachAnError()
    {
        (string rejected, _) = Generate("""
            using SochDb.Policy;

            public partial class Outer<T>
            {
                public static partial class AgentPolicies
                {
                    [BeforeWrite("system/*")]
                    static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
                }
            }
            """);

        Assert.Contains("on Outer<T>.AgentPolicies.Block is not compiled: it is nested in the generic type 'Outer<T>' (SOCH0007)", rejected);
    }

    [Fact]
    public void InvalidClassLevelRulesAreEachAnError()
    {
        GeneratorOutcome outcome = Run("""
            using SochDb.Policy;

            [RateLimit(PolicyOperation.Write, 0)]
            [RateLimit(PolicyOperation.Read, 10, Scope = " ")]
            [DenyAll(PolicyTrigger.AfterWrite, "audit/**")]
            [RequireAgentId(PolicyTrigger.BeforeWrite, "a/{b")]
            [DenyAll(PolicyTrigger.BeforeWrite, "x[")]
            [Redact("users/*/ssn", "***")]
            public static partial class AgentPolicies
            {
            }
            """);

        string rejected = outcome.Rejected;
        Assert.Contains("#error SochDb.Policy: [RateLimit(PolicyOperation.Write, 0)] on AgentPolicies is not compiled: its maxPerMinute is not positive (SOCH0010)", rejected);
        Assert.Contains("#error SochDb.Policy: [RateLimit(PolicyOperation.Read, 10, Scope = \" \")] on AgentPolicies is not compiled: its Scope is null, empty or blank (SOCH0010)", rejected);
        Assert.Contains("#error SochDb.Policy: [DenyAll(PolicyTrigger.AfterWrite, \"audit/**\")] on AgentPolicies is not compiled: its trigger cannot deny (SOCH0011)", rejected);
        Assert.DoesNotContain("RequireAgentId", rejected);
        Assert.DoesNotContain("Redact", rejected);
        Assert.Equal(3, outcome.Errors.Count(e => e.Id == "CS1029"));
        Assert.Equal(["x[", "a/{b"], outcome.Reported.Select(d => d.GetMessage().Split('"')[1]));
        Assert.All(outcome.Reported, d => Assert.Equal("SOCH0001", d.Id));
    }

    [Fact]
    public void NameClashWithAGeneratedMemberEmitsNoConflictingFileAndFailsTheBuild()
    {
        (string rejected, ImmutableArray<Diagnostic> errors, string[] files) = GenerateWithFiles("""
            using SochDb.Policy;

            public static partial class AgentPolicies
            {
                public static string Compiled => "v2";

                [BeforeWrite("system/*")]
                static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
            }
            """);

        // No generated part for the type, so no CS0102 inside generated code: only the #error naming the rule.
        Assert.Equal([RejectedRulesFile], files);
        Assert.DoesNotContain(errors, e => e.Id != "CS1029");
        Assert.Contains(
            "#error SochDb.Policy: [BeforeWrite(\"system/*\")] on AgentPolicies.Block is not compiled: 'AgentPolicies' cannot take the generated member 'Compiled': it already declares a member named 'Compiled' (SOCH0013)",
            rejected);
    }

    [Fact]
    public void ValidRulesProduceNoErrorFile()
    {
        (string rejected, ImmutableArray<Diagnostic> errors, string[] files) = GenerateWithFiles("""
            using SochDb.Policy;

            [RateLimit(PolicyOperation.Write, 10)]
            public static partial class AgentPolicies
            {
                [BeforeWrite("system/*")]
                static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
            }
            """);

        Assert.Equal("", rejected);
        Assert.Empty(errors);
        Assert.Equal(["AgentPolicies.Policies.g.cs"], files);
    }

    [Fact]
    public void GeneratedTypeDeclaresExactlyTheMembersTheClashCheckKnows()
    {
        // The analyzers' SOCH0013 and the generator's own check read one list of names; the emitted code must add no other.
        Compilation output = Run("""
            using SochDb.Policy;

            public static partial class AgentPolicies
            {
                [BeforeWrite("system/*")]
                static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
            }
            """).Output;

        INamedTypeSymbol type = output.GetTypeByMetadataName("AgentPolicies")!;
        string[] generated = type.GetMembers()
            .Where(m => !m.IsImplicitlyDeclared && m.Locations.Any(l => l.SourceTree!.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)))
            .Select(m => m.Name)
            .Where(n => !n.StartsWith('<')) // the property's backing field and accessors belong to 'Compiled'
            .Where(n => n is not ("get_Compiled"))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(["Compiled", "CompiledPolicies"], generated);
    }

    [Fact]
    public void AttributeTextWithALineBreakStaysOnItsErrorLine()
    {
        (string rejected, ImmutableArray<Diagnostic> errors) = Generate("""
            using SochDb.Policy;

            public partial class AgentPolicies
            {
                [BeforeWrite(
                    "system/*")]
                PolicyAction Guard(in PolicyRequest request) => PolicyAction.Deny;

                [BeforeRead("a\n/*")]
                PolicyAction Other(in PolicyRequest request) => PolicyAction.Deny;
            }
            """);

        Assert.Contains("#error SochDb.Policy: [BeforeWrite( \"system/*\")] on AgentPolicies.Guard is not compiled", rejected);
        Assert.Contains("#error SochDb.Policy: [BeforeRead(\"a\\n/*\")] on AgentPolicies.Other is not compiled", rejected);
        Assert.Equal(2, errors.Count(e => e.Id == "CS1029"));
        Assert.DoesNotContain(errors, e => e.Id != "CS1029");
    }

    private static (string Rejected, ImmutableArray<Diagnostic> Errors) Generate(string source)
    {
        GeneratorOutcome outcome = Run(source);
        Assert.Empty(outcome.Reported);
        return (outcome.Rejected, outcome.Errors);
    }

    private static (string Rejected, ImmutableArray<Diagnostic> Errors, string[] Files) GenerateWithFiles(string source)
    {
        GeneratorOutcome outcome = Run(source);
        Assert.Empty(outcome.Reported);
        return (outcome.Rejected, outcome.Errors, outcome.Files);
    }

    /// <summary>
    /// What one generator run gives: the #error file's text ("" when none), the updated compilation's errors, the
    /// generated file names (but the attributes' file, which every run adds), the compilation, and the diagnostics the
    /// generator itself reported.
    /// </summary>
    private sealed record GeneratorOutcome(
        string Rejected, ImmutableArray<Diagnostic> Errors, string[] Files, Compilation Output, ImmutableArray<Diagnostic> Reported);

    private static GeneratorOutcome Run(string source)
    {
        CSharpCompilation input = CSharpCompilation.Create(
            "Rejections",
            [CSharpSyntaxTree.ParseText(source, ParseOptions, path: "Policies.cs")],
            [.. Basic.Reference.Assemblies.Net100.References.All, PolicyTestReferences.Runtime],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        GeneratorDriver driver = CSharpGeneratorDriver.Create([new PolicyGenerator().AsSourceGenerator()], parseOptions: ParseOptions)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

        GeneratorRunResult run = Assert.Single(driver.GetRunResult().Results);
        string rejected = run.GeneratedSources.SingleOrDefault(s => s.HintName == RejectedRulesFile).SourceText?.ToString() ?? "";
        Assert.Contains(run.GeneratedSources, s => s.HintName == PolicyTestReferences.AttributeFileName);
        string[] files = run.GeneratedSources.Select(s => s.HintName)
            .Where(name => name != PolicyTestReferences.AttributeFileName)
            .Order(StringComparer.Ordinal)
            .ToArray();
        ImmutableArray<Diagnostic> errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return new GeneratorOutcome(rejected, errors, files, output, generatorDiagnostics);
    }
}
