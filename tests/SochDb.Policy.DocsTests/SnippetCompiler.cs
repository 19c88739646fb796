using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using SochDb.Policy.Analyzers;
using SochDb.Policy.Generators;

namespace SochDb.Policy.DocsTests;

/// <summary>
/// Compiles one documented C# block in memory, as a consumer's project would: the packages' assemblies and their
/// dependencies as references, the policy generator run on it, the analyzers run over it.
/// </summary>
/// <remarks>
/// How a block becomes a program:
/// <list type="bullet">
/// <item>Statements become top-level statements; type declarations follow them (a block may show them in either
/// order). A block made only of attributed methods (handlers shown on their own) is put in a policy class.</item>
/// <item>A block with no using directive is a fragment: it gets the SDK's implicit usings plus every public namespace
/// of the packages and of Microsoft.Extensions.AI/Hosting/DependencyInjection/Logging. A block with using directives
/// is complete: it gets the SDK's implicit usings and its own, nothing else, so a wrong namespace in the docs fails.</item>
/// <item>Names the block uses without declaring them are declared from <see cref="AssumedNames"/>.</item>
/// <item>A line whose comment says <c>// error ID</c> or <c>// warning ID</c> must report that diagnostic there (the
/// diagnostics pages); any other error, any SOCH warning and any use of an obsolete member fails the block.</item>
/// </list>
/// Diagnostics are mapped back to the Markdown file and line through <c>#line</c> directives.
/// </remarks>
internal static partial class SnippetCompiler
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    // The SDK's implicit usings of a console app (Microsoft.NET.Sdk, ImplicitUsings enabled).
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly string[] FragmentUsings =
    [
        "System.Text",
        "Microsoft.AspNetCore.Builder",
        "Microsoft.Extensions.AI",
        "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection",
        "Microsoft.Extensions.Hosting",
        "Microsoft.Extensions.Logging",
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    private static readonly Lazy<string[]> ProductNamespaces = new(FindProductNamespaces);

    private static readonly Lazy<ImmutableArray<DiagnosticAnalyzer>> Analyzers = new(() =>
    [
        .. typeof(RuleAttributeAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!),
    ]);

    /// <summary>Compiles <paramref name="block"/> of <paramref name="document"/>; returns one line per problem, empty when it compiles.</summary>
    public static List<string> Check(MarkdownDocument document, CodeBlock block)
    {
        var problems = new List<string>();
        CompilationUnitSyntax unit = SyntaxFactory.ParseCompilationUnit(block.Code, options: ParseOptions);
        var expected = ExpectedDiagnostics(block);
        var assumedStatements = new List<string>();
        var assumedTypes = new List<string>();
        for (int attempt = 0; ; attempt++)
        {
            string source = Wrap(document, block, unit, assumedStatements, assumedTypes, out bool hasStatements);
            var diagnostics = Compile(source, document.Path, hasStatements, out SyntaxTree snippetTree);

            // Names used but not declared: declare the assumed ones and compile again.
            bool added = false;
            foreach (Diagnostic d in diagnostics.Where(d => d.Id is "CS0103" or "CS0246" && d.Location.SourceTree == snippetTree))
            {
                string name = snippetTree.GetText().ToString(d.Location.SourceSpan);
                if (AssumedNames.Statements.TryGetValue(name, out string? statement) && !assumedStatements.Contains(statement))
                {
                    assumedStatements.Add(statement);
                    added = true;
                }
                else if (AssumedNames.Types.TryGetValue(name, out string? type) && !assumedTypes.Contains(type))
                {
                    assumedTypes.Add(type);
                    added = true;
                }
            }

            if (added && attempt < 10)
            {
                continue;
            }

            Judge(document, diagnostics, snippetTree, expected, problems);
            if (problems.Count > 0)
            {
                problems.Add($"  (the program compiled for the block at {document.Path}:{block.FirstLine}:)\n" + Numbered(source));
            }

            return problems;
        }
    }

    private static void Judge(
        MarkdownDocument document,
        ImmutableArray<Diagnostic> diagnostics,
        SyntaxTree snippetTree,
        Dictionary<int, (string First, HashSet<string> All)> expected,
        List<string> problems)
    {
        var reported = new HashSet<(int Line, string Id)>();
        foreach (Diagnostic d in diagnostics)
        {
            bool matters = d.Severity == DiagnosticSeverity.Error
                || (d.Severity == DiagnosticSeverity.Warning && (d.Id.StartsWith("SOCH", StringComparison.Ordinal) || d.Id is "CS0612" or "CS0618" or "AD0001"));
            if (!matters)
            {
                continue;
            }

            FileLinePositionSpan mapped = d.Location.GetMappedLineSpan();
            // The generator reports SOCH0001 at the file and lines a #line directive maps to (it keeps no syntax tree).
            bool inDocument = (d.Location.SourceTree == snippetTree && mapped.HasMappedPath && mapped.Path == document.Path)
                || (d.Location.Kind == LocationKind.ExternalFile && mapped.Path == document.Path);
            int line = mapped.StartLinePosition.Line + 1;
            if (inDocument && expected.TryGetValue(line, out var allowed) && allowed.All.Contains(d.Id))
            {
                reported.Add((line, d.Id));
                continue;
            }

            // The generator's list of attributes it could not compile (#error) only repeats what an analyzer reports.
            if (d.Id == "CS1029" && d.Location.SourceTree != snippetTree && expected.Count > 0)
            {
                continue;
            }

            string where = inDocument
                ? $"{document.Path}:{line}:{mapped.StartLinePosition.Character + 1}"
                : d.Location.SourceTree == snippetTree
                    ? $"{document.Path} (in what the test adds around the block, line {d.Location.GetLineSpan().StartLinePosition.Line + 1} below)"
                    : $"{document.Path} (in generated code {Path.GetFileName(d.Location.SourceTree?.FilePath)})";
            string hint = d.Id is "CS0103" or "CS0246"
                ? " — declare it in the snippet, or use one of the names the test assumes (AssumedNames.cs): "
                  + string.Join(", ", AssumedNames.Statements.Keys.Concat(AssumedNames.Types.Keys))
                : string.Empty;
            problems.Add($"{where}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}{hint}");
        }

        foreach (var (line, (first, _)) in expected)
        {
            if (!reported.Contains((line, first)))
            {
                problems.Add($"{document.Path}:{line}: the comment says {first} is reported on this line, but the compiler and analyzers do not report it there");
            }
        }
    }

    private static ImmutableArray<Diagnostic> Compile(string source, string documentPath, bool hasStatements, out SyntaxTree snippetTree)
    {
        snippetTree = CSharpSyntaxTree.ParseText(source, ParseOptions, path: documentPath + ".snippet.cs", encoding: Encoding.UTF8);
        var compilation = CSharpCompilation.Create(
            "DocSnippet",
            [snippetTree],
            References.Value,
            new CSharpCompilationOptions(
                hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                allowUnsafe: false));
        CSharpGeneratorDriver.Create([new PolicyGenerator().AsSourceGenerator()], parseOptions: ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out ImmutableArray<Diagnostic> generatorDiagnostics);
        ImmutableArray<Diagnostic> analyzerDiagnostics = generated
            .WithAnalyzers(Analyzers.Value)
            .GetAnalyzerDiagnosticsAsync()
            .GetAwaiter()
            .GetResult();
        return [.. generatorDiagnostics, .. generated.GetDiagnostics(), .. analyzerDiagnostics];
    }

    /// <summary>
    /// The block as one compilation unit, each part of it preceded by a #line directive to its Markdown line. What the
    /// test adds is under <c>#line default</c>, not <c>#line hidden</c>: analyzers report nothing in a file with hidden lines.
    /// </summary>
    private static string Wrap(
        MarkdownDocument document,
        CodeBlock block,
        CompilationUnitSyntax unit,
        List<string> assumedStatements,
        List<string> assumedTypes,
        out bool hasStatements)
    {
        var source = new StringBuilder();
        string file = document.Path.Replace("\"", "\\\"", StringComparison.Ordinal);
        void Mapped(SyntaxNode node)
        {
            int line = node.SyntaxTree.GetLineSpan(node.FullSpan).StartLinePosition.Line;
            source.Append("#line ").Append(block.FirstLine + line).Append(" \"").Append(file).Append("\"\n");
            source.Append(node.ToFullString().TrimEnd('\r', '\n')).Append('\n');
            source.Append("#line default\n");
        }

        source.Append("#line default\n");
        bool complete = unit.Usings.Count > 0;
        IEnumerable<string> usings = complete ? ImplicitUsings : ImplicitUsings.Concat(FragmentUsings).Concat(ProductNamespaces.Value).Distinct(StringComparer.Ordinal);
        foreach (string ns in usings)
        {
            source.Append("using ").Append(ns).Append(";\n");
        }

        foreach (UsingDirectiveSyntax directive in unit.Usings)
        {
            Mapped(directive);
        }

        var statements = unit.Members.OfType<GlobalStatementSyntax>().ToList();
        var types = unit.Members.Where(m => m is not GlobalStatementSyntax).ToList();
        bool handlersOnly = statements.Count > 0
            && statements.All(s => s.Statement is LocalFunctionStatementSyntax)
            && statements.Any(s => ((LocalFunctionStatementSyntax)s.Statement).AttributeLists.Count > 0);

        hasStatements = !handlersOnly && statements.Count > 0;
        if (hasStatements)
        {
            foreach (string statement in assumedStatements)
            {
                source.Append(statement).Append('\n');
            }

            foreach (GlobalStatementSyntax statement in statements)
            {
                Mapped(statement);
            }
        }

        foreach (MemberDeclarationSyntax type in types)
        {
            Mapped(type);
        }

        if (handlersOnly)
        {
            source.Append("public static partial class DocumentedHandlers\n{\n");
            foreach (GlobalStatementSyntax statement in statements)
            {
                Mapped(statement);
            }

            source.Append("}\n");
        }

        foreach (string type in assumedTypes)
        {
            source.Append(type).Append('\n');
        }

        // Trailing trivia of the unit (a closing comment) is kept out: it maps nowhere useful.
        return source.ToString();
    }

    /// <summary>Lines whose comment says <c>// error ID</c> or <c>// warning ID</c>: the ID named first, and every ID on the line.</summary>
    private static Dictionary<int, (string First, HashSet<string> All)> ExpectedDiagnostics(CodeBlock block)
    {
        var expected = new Dictionary<int, (string, HashSet<string>)>();
        string[] lines = block.Code.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            Match match = ExpectedComment().Match(lines[i]);
            if (match.Success)
            {
                var all = new HashSet<string>(DiagnosticId().Matches(match.Value).Select(m => m.Value), StringComparer.Ordinal);
                expected[block.FirstLine + i] = (match.Groups["id"].Value, all);
            }
        }

        return expected;
    }

    private static string Numbered(string source) =>
        string.Join('\n', source.Split('\n').Select((line, i) => $"  {i + 1,4}  {line}"));

    // The test's own machinery: a consumer's program does not see it (and the generator's and analyzers' internal
    // copies of the glob grammar would make the grammar's type names ambiguous to the analyzers).
    private static readonly string[] NotForSnippets =
        ["SochDb.Policy.DocsTests", "SochDb.Policy.Generators", "SochDb.Policy.Analyzers", "Microsoft.CodeAnalysis", "xunit", "testhost", "Microsoft.TestPlatform", "Microsoft.VisualStudio"];

    /// <summary>Every assembly the test runs with: the framework, the packages and their dependencies.</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string paths = (string)(AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? throw new InvalidOperationException("No TRUSTED_PLATFORM_ASSEMBLIES."));
        return [.. paths.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && !NotForSnippets.Any(Path.GetFileName(p).StartsWith))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    /// <summary>The public namespaces of the packages (SochDb.*), except the generated code's hidden one.</summary>
    private static string[] FindProductNamespaces()
    {
        string directory = AppContext.BaseDirectory;
        var namespaces = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(directory, "SochDb.Policy*.dll"))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.EndsWith(".Generators", StringComparison.Ordinal) || name.EndsWith(".Analyzers", StringComparison.Ordinal)
                || name.EndsWith("Tests", StringComparison.Ordinal))
            {
                continue;
            }

            Assembly assembly = Assembly.Load(new AssemblyName(name));
            foreach (Type type in assembly.GetExportedTypes())
            {
                if (type.Namespace is { } ns && !ns.EndsWith(".CompilerServices", StringComparison.Ordinal))
                {
                    namespaces.Add(ns);
                }
            }
        }

        return [.. namespaces];
    }

    [GeneratedRegex(@"//\s*(?:error|warning)\s+(?<id>[A-Z]{2,4}\d{4}).*$")]
    private static partial Regex ExpectedComment();

    [GeneratedRegex(@"\b[A-Z]{2,4}\d{4}\b")]
    private static partial Regex DiagnosticId();
}
