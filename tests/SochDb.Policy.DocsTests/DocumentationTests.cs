using SochDb.Policy.EndToEndTests;

namespace SochDb.Policy.DocsTests;

/// <summary>
/// The README and the docs as a newcomer meets them: every C# block compiles against the packages as shown, and
/// every relative link and anchor leads somewhere. A block that is deliberately partial (an excerpt of generated code,
/// an initializer shown on its own) opts out with <c>&lt;!-- snippet: partial, why --&gt;</c> on the line before it.
/// </summary>
public sealed class DocumentationTests
{
    private static readonly string[] CSharpLanguages = ["csharp", "cs", "c#"];

    /// <summary>README.md, docs/**.md and the samples' READMEs, relative to the repository root.</summary>
    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string>();
        foreach (string path in DocumentPaths())
        {
            data.Add(path);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryCsharpBlockCompilesAsShown(string path)
    {
        MarkdownDocument document = MarkdownDocument.Load(RepositoryLayout.Root, path);
        var problems = new List<string>();
        foreach (CodeBlock block in document.CodeBlocks.Where(b => CSharpLanguages.Contains(b.Language)))
        {
            if (block.Marker is { } marker && marker.StartsWith("partial", StringComparison.Ordinal))
            {
                continue;
            }

            problems.AddRange(SnippetCompiler.Check(document, block));
        }

        Assert.True(problems.Count == 0, $"{path}: a C# block does not compile as shown:\n" + string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryRelativeLinkAndAnchorResolves(string path)
    {
        MarkdownDocument document = MarkdownDocument.Load(RepositoryLayout.Root, path);
        var problems = new List<string>();
        string directory = Path.GetDirectoryName(Path.Combine(RepositoryLayout.Root, path))!;
        foreach (MarkdownLink link in document.Links)
        {
            string target = link.Target;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            int hash = target.IndexOf('#', StringComparison.Ordinal);
            string file = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
            string? anchor = hash < 0 ? null : target[(hash + 1)..];
            string full = file.Length == 0 ? Path.Combine(RepositoryLayout.Root, path) : Path.GetFullPath(Path.Combine(directory, file));
            if (!full.StartsWith(RepositoryLayout.Root, StringComparison.Ordinal))
            {
                problems.Add($"{path}:{link.Line}: '{target}' leads out of the repository");
                continue;
            }

            if (!File.Exists(full) && !Directory.Exists(full))
            {
                problems.Add($"{path}:{link.Line}: '{target}': no file or folder {Path.GetRelativePath(RepositoryLayout.Root, full)}");
                continue;
            }

            if (anchor is null || !full.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            MarkdownDocument linked = MarkdownDocument.Load(RepositoryLayout.Root, Path.GetRelativePath(RepositoryLayout.Root, full));
            if (!linked.Anchors.Contains(anchor))
            {
                problems.Add($"{path}:{link.Line}: '{target}': {linked.Path} has no heading with the anchor #{anchor} "
                    + $"(its anchors: {string.Join(", ", linked.Anchors.Order(StringComparer.Ordinal))})");
            }
        }

        Assert.True(problems.Count == 0, $"{path}: a link does not resolve:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void TheChecksSeeTheReadmeAndItsCsharpBlocks()
    {
        Assert.Contains("README.md", DocumentPaths());
        MarkdownDocument readme = MarkdownDocument.Load(RepositoryLayout.Root, "README.md");
        Assert.Contains(readme.CodeBlocks, b => b.Language == "csharp");
        Assert.Contains(readme.Links, l => l.Target.StartsWith("docs/", StringComparison.Ordinal));
    }

    [Fact]
    public void ABlockThatDoesNotCompileIsReportedWithItsFileLineAndError()
    {
        MarkdownDocument document = MarkdownDocument.Parse("docs/example.md", """
            # Example

            ```csharp
            using SochDb.Policy.Hosting;

            var sink = new LoggerAuditSink(null!);
            ```
            """);

        string problem = Assert.Single(SnippetCompiler.Check(document, Assert.Single(document.CodeBlocks)), p => !p.StartsWith("  (", StringComparison.Ordinal));

        Assert.StartsWith("docs/example.md:6:", problem, StringComparison.Ordinal);
        Assert.Contains("error CS0246", problem, StringComparison.Ordinal);
        Assert.Contains("LoggerAuditSink", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AFragmentUsesTheAssumedNamesAndThePackagesNamespaces()
    {
        MarkdownDocument document = MarkdownDocument.Parse("docs/example.md", """
            ```csharp
            policy.Put("notes/a", "1", agent);
            builder.Services.AddSochDbPolicy(builder.Configuration.GetSection("SochDbPolicy")).AddCompiledSet(AgentPolicies.Compiled);
            ```
            """);

        Assert.Empty(SnippetCompiler.Check(document, Assert.Single(document.CodeBlocks)));
    }

    [Fact]
    public void AnExpectedDiagnosticMustBeReportedOnItsLine()
    {
        MarkdownDocument reported = MarkdownDocument.Parse("docs/example.md", """
            ```csharp
            public partial class AgentPolicies
            {
                [BeforeWrite("system/*")]
                PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;   // error SOCH0002
            }
            ```
            """);
        MarkdownDocument notReported = MarkdownDocument.Parse("docs/example.md", """
            ```csharp
            public static partial class AgentPolicies
            {
                [BeforeWrite("system/*")]
                static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;   // error SOCH0002
            }
            ```
            """);

        Assert.Empty(SnippetCompiler.Check(reported, Assert.Single(reported.CodeBlocks)));
        Assert.Contains(
            SnippetCompiler.Check(notReported, Assert.Single(notReported.CodeBlocks)),
            p => p.StartsWith("docs/example.md:5: the comment says SOCH0002 is reported on this line", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Scale-out: PostgreSQL and Redis", "scale-out-postgresql-and-redis")]
    [InlineData("`PolicyEngine.Explain` — why?", "policyengineexplain--why")]
    [InlineData("T1 (whole layer) ≤ 48 ns", "t1-whole-layer--48-ns")]
    [InlineData("[Glob grammar](semantics.md)", "glob-grammar")]
    public void Anchors_follow_github_slug_rules(string heading, string anchor) =>
        Assert.Equal(anchor, MarkdownDocument.Slug(heading));

    [Fact]
    public void ARepeatedHeadingGetsANumberedAnchorAndAMissingAnchorIsReported()
    {
        MarkdownDocument document = MarkdownDocument.Parse("docs/example.md", "# Notes\n\n## Notes\n\nSee [below](#notes-2).\n");

        Assert.Contains("notes", document.Anchors);
        Assert.Contains("notes-1", document.Anchors);
        Assert.DoesNotContain("notes-2", document.Anchors);
        Assert.Equal("#notes-2", Assert.Single(document.Links).Target);
    }

    private static List<string> DocumentPaths()
    {
        string root = RepositoryLayout.Root;
        var paths = new List<string> { "README.md" };
        foreach (string folder in new[] { "docs", "samples" })
        {
            string full = Path.Combine(root, folder);
            if (!Directory.Exists(full))
            {
                continue;
            }

            paths.AddRange(Directory.EnumerateFiles(full, "*.md", SearchOption.AllDirectories)
                .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
                .Order(StringComparer.Ordinal));
        }

        return paths;
    }
}
