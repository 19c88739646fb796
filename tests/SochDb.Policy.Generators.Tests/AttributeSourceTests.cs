using System.Collections.Immutable;
using System.Reflection;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Generators.Tests;

/// <summary>
/// The policy attributes are the generator's own output (post-initialization), not runtime types: emitted into every
/// compilation, found by metadata name as before, warning-free with documentation on, kept out of metadata, and left
/// out with <c>SOCHDB_POLICY_NO_ATTRIBUTES</c> for a project that sees another project's copy.
/// </summary>
public class AttributeSourceTests
{
    /// <summary>Every attribute, every constructor argument and named property a user can write.</summary>
    private const string EveryAttribute = """
        using SochDb.Policy;

        namespace Everything;

        /// <summary>Every rule.</summary>
        [DenyAll(PolicyTrigger.BeforeDelete, "audit/**", Order = 2)]
        [RequireAgentId(PolicyTrigger.BeforeWrite, "**", Order = -1)]
        [Redact("users/*/ssn", "***", Order = 1)]
        [RequireApproval(PolicyTrigger.BeforeWrite, "shared/**", "the team sees it", Order = 3)]
        [RateLimit(PolicyOperation.Write, 100, Scope = "agent_id")]
        [RateLimit(PolicyOperation.All, 1000)]
        public static partial class AllRules
        {
            [BeforeWrite("system/*", Order = -5)]
            static PolicyAction BlockSystem(in PolicyRequest request) => PolicyAction.Deny;

            [AfterWrite("logs/*")]
            static void Written(in PolicyRequest request)
            {
            }

            [BeforeRead("secrets/**")]
            static PolicyAction GuardSecrets(in PolicyRequest request) => PolicyAction.Deny;

            [AfterRead("users/*/email", Order = 4)]
            static PolicyDecision Mask(in PolicyRequest request) => PolicyDecision.Modify(new byte[] { 42 });

            [BeforeDelete("config/*")]
            [BeforeDelete("keys/*")]
            static PolicyAction KeepConfig(in PolicyRequest request) => PolicyAction.Deny;

            [AfterDelete("**")]
            static void Deleted(in PolicyRequest request)
            {
            }
        }
        """;

    private static readonly string[] HandlerAttributes =
        ["BeforeWrite", "AfterWrite", "BeforeRead", "AfterRead", "BeforeDelete", "AfterDelete"];

    private static readonly string[] ClassAttributes =
        ["DenyAll", "RequireAgentId", "Redact", "RateLimit", "RequireApproval"];

    /// <summary>A consumer's project: nullable on, documentation file on (every doc comment checked), warnings as errors.</summary>
    private static readonly CSharpParseOptions DocumentedOptions =
        GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);

    [Fact]
    public void AttributesAreEmittedAndAPolicyUsingEveryOneCompilesWithoutDiagnostics()
    {
        (Compilation output, GeneratorDriverRunResult run) = Generate("Consumer", DocumentedOptions, [EveryAttribute]);
        Assert.Empty(run.Diagnostics);
        Assert.Equal(
            [PolicyAttributesSource.HintName, "Everything.AllRules.Policies.g.cs"],
            run.Results.Single().GeneratedSources.Select(s => s.HintName));

        // Warning-free under TreatWarningsAsErrors with a documentation file (CS1591, CS1574, ... would show here).
        Diagnostic[] diagnostics = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(diagnostics.Length == 0, "The compilation has diagnostics:\n" + string.Join("\n", diagnostics.Select(d => d.ToString())));
        using var xml = new MemoryStream();
        using var image = new MemoryStream();
        Assert.True(output.Emit(image, xmlDocumentationStream: xml).Success);

        // The compiled set holds every rule and limit in dispatch order (Order, then declaration order, class-level first).
        CompiledPolicySet set = GeneratorHarness.CompiledSet(GeneratorHarness.Load(output), "Everything.AllRules");
        Assert.Equal(
            [
                "BeforeWrite system/* BlockSystem -5",
                "BeforeWrite ** [RequireAgentId] -1",
                "AfterWrite logs/* Written 0",
                "BeforeRead secrets/** GuardSecrets 0",
                "BeforeDelete config/* KeepConfig 0",
                "BeforeDelete keys/* KeepConfig 0",
                "AfterDelete ** Deleted 0",
                "AfterRead users/*/ssn [Redact] 1",
                "BeforeDelete audit/** [DenyAll] 2",
                "BeforeWrite shared/** [RequireApproval] 3",
                "AfterRead users/*/email Mask 4",
            ],
            set.Rules.Select(r => $"{r.Trigger} {r.Pattern} {ShortName(r.HandlerName)} {r.Order}"));
        Assert.Equal(
            ["Write 100 agent_id", "All 1000 global"],
            set.RateLimits.Select(l => $"{l.Operation} {l.MaxPerMinute} {l.Scope}"));
    }

    [Fact]
    public void AttributesAreInternalSealedConditionalAndDocumented()
    {
        (Compilation output, _) = Generate("Consumer", DocumentedOptions, [EveryAttribute]);
        foreach (string name in HandlerAttributes.Concat(ClassAttributes))
        {
            INamedTypeSymbol type = output.GetTypeByMetadataName("SochDb.Policy." + name + "Attribute")
                ?? throw new InvalidOperationException(name + "Attribute is not in the compilation");
            Assert.Equal(PolicyAttributesSource.HintName, Path.GetFileName(type.Locations.Single().SourceTree!.FilePath));
            Assert.Equal(Accessibility.Internal, type.DeclaredAccessibility);
            Assert.True(type.IsSealed);
            Assert.Equal("System.Attribute", type.BaseType!.ToDisplayString());

            AttributeData usage = type.GetAttributes().Single(a => a.AttributeClass!.Name == "AttributeUsageAttribute");
            var expectedTarget = HandlerAttributes.Contains(name) ? AttributeTargets.Method : AttributeTargets.Class;
            Assert.Equal((int)expectedTarget, (int)usage.ConstructorArguments[0].Value!);
            Assert.Equal(
                ["AllowMultiple=True", "Inherited=False"],
                usage.NamedArguments.Select(a => a.Key + "=" + a.Value.Value).Order(StringComparer.Ordinal));
            AttributeData conditional = type.GetAttributes().Single(a => a.AttributeClass!.Name == "ConditionalAttribute");
            Assert.Equal(PolicyAttributesSource.MetadataSymbol, conditional.ConstructorArguments[0].Value);
            Assert.Contains(type.GetAttributes(), a => a.AttributeClass!.Name == "GeneratedCodeAttribute");

            // IntelliSense: the type, its constructors and its properties carry their documentation.
            Assert.Contains("<summary>", type.GetDocumentationCommentXml(), StringComparison.Ordinal);
            foreach (ISymbol member in type.GetMembers().Where(m => m.DeclaredAccessibility == Accessibility.Public && !m.IsImplicitlyDeclared
                && m is IMethodSymbol { MethodKind: MethodKind.Constructor } or IPropertySymbol))
            {
                Assert.Contains("<summary>", member.GetDocumentationCommentXml(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void AttributeUsesStayOutOfMetadataUnlessTheSymbolIsDefined()
    {
        (Compilation plain, _) = Generate("Plain", GeneratorHarness.ParseOptions, [EveryAttribute]);
        (Compilation kept, _) = Generate(
            "Kept", GeneratorHarness.ParseOptions.WithPreprocessorSymbols(PolicyAttributesSource.MetadataSymbol), [EveryAttribute]);

        Assert.Empty(PolicyAttributeNames(GeneratorHarness.Load(plain)));
        Assert.Equal(
            ["AfterDeleteAttribute", "AfterReadAttribute", "AfterWriteAttribute", "BeforeDeleteAttribute", "BeforeDeleteAttribute",
             "BeforeReadAttribute", "BeforeWriteAttribute", "DenyAllAttribute", "RateLimitAttribute", "RateLimitAttribute",
             "RedactAttribute", "RequireAgentIdAttribute", "RequireApprovalAttribute"],
            PolicyAttributeNames(GeneratorHarness.Load(kept)));
    }

    [Fact]
    public void WithTheNoAttributesSymbolTheFileDeclaresNothing()
    {
        CSharpParseOptions options = GeneratorHarness.ParseOptions.WithPreprocessorSymbols(PolicyAttributesSource.ExcludeSymbol);
        (Compilation output, GeneratorDriverRunResult run) = Generate("NoAttributes", options, ["namespace Empty; static class C { }"]);

        GeneratedSourceResult file = Assert.Single(run.Results.Single().GeneratedSources);
        Assert.Equal(PolicyAttributesSource.HintName, file.HintName);
        Assert.Empty(file.SyntaxTree.GetCompilationUnitRoot().Members);
        Assert.Empty(output.GetDiagnostics());
        foreach (string name in HandlerAttributes.Concat(ClassAttributes))
        {
            Assert.Null(output.GetTypeByMetadataName("SochDb.Policy." + name + "Attribute"));
        }
    }

    /// <summary>
    /// Two projects using the generator, one granting the other InternalsVisibleTo: the friend sees two copies of each
    /// attribute (CS0436, an error under TreatWarningsAsErrors); with SOCHDB_POLICY_NO_ATTRIBUTES defined it declares none
    /// and compiles its policies with the copies it sees, exactly as with its own.
    /// </summary>
    [Fact]
    public void AFriendAssemblyDefinesTheSymbolAndUsesTheAttributesItSees()
    {
        const string library = """
            using SochDb.Policy;

            [assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Friend")]

            namespace Library;

            public static partial class LibraryPolicies
            {
                [BeforeWrite("library/*")]
                static PolicyAction Guard(in PolicyRequest request) => PolicyAction.Deny;
            }
            """;
        (Compilation libraryOutput, _) = Generate("Library", GeneratorHarness.ParseOptions, [library]);
        using var image = new MemoryStream();
        Assert.True(libraryOutput.Emit(image).Success);
        MetadataReference libraryReference = MetadataReference.CreateFromImage(image.ToArray());

        (Compilation clash, _) = Generate("Friend", GeneratorHarness.ParseOptions, [EveryAttribute], libraryReference);
        Assert.Contains(clash.GetDiagnostics(), d => d.Id == "CS0436");

        CSharpParseOptions options = GeneratorHarness.ParseOptions.WithPreprocessorSymbols(PolicyAttributesSource.ExcludeSymbol);
        (Compilation friend, GeneratorDriverRunResult run) = Generate("Friend", options, [EveryAttribute], libraryReference);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(friend.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Equal("Library", friend.GetTypeByMetadataName("SochDb.Policy.BeforeWriteAttribute")!.ContainingAssembly.Name);

        // Found by metadata name in the referenced assembly, the attributes compile to the same set as from the file.
        (_, GeneratorDriverRunResult own) = Generate("Friend", GeneratorHarness.ParseOptions, [EveryAttribute]);
        const string policies = "Everything.AllRules.Policies.g.cs";
        Assert.Equal(GeneratedText(own, policies), GeneratedText(run, policies));
    }

    private static (Compilation Output, GeneratorDriverRunResult Run) Generate(
        string assemblyName, CSharpParseOptions options, string[] sources, params MetadataReference[] references)
    {
        CSharpCompilation input = CSharpCompilation.Create(
            assemblyName,
            sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, options, path: $"Source{i}.cs")),
            [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(CompiledPolicySet).Assembly.Location), .. references],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver
            .Create([new PolicyGenerator().AsSourceGenerator()], parseOptions: options)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> _);
        GeneratorDriverRunResult run = driver.GetRunResult();
        Assert.Null(run.Results.Single().Exception);
        return (output, run);
    }

    private static string GeneratedText(GeneratorDriverRunResult run, string hintName) =>
        run.Results.Single().GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    private static string ShortName(string handlerName) => handlerName[(handlerName.LastIndexOf('.') + 1)..];

    /// <summary>The policy attributes recorded in metadata on the policy class and its methods, by type name, sorted.</summary>
    private static string[] PolicyAttributeNames(Assembly assembly)
    {
        Type type = assembly.GetType("Everything.AllRules")!;
        IEnumerable<CustomAttributeData> all = type.CustomAttributes.Concat(
            type.GetMethods(BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly).SelectMany(m => m.CustomAttributes));
        return all.Where(a => a.AttributeType.Namespace == "SochDb.Policy")
            .Select(a => a.AttributeType.Name)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }
}
