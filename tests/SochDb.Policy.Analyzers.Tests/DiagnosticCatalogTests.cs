using System.Reflection;
using Microsoft.CodeAnalysis;
using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>Every ID has one descriptor, a docs page, a release-tracking entry, and an analyzer that reports it.</summary>
public sealed class DiagnosticCatalogTests
{
    private static readonly DiagnosticDescriptor[] Descriptors = typeof(DiagnosticDescriptors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToArray();

    // DiagnosticIds is compiled into both component assemblies (shared source); read the analyzers' copy.
    private static readonly string[] Ids = typeof(DiagnosticDescriptors).Assembly.GetType("SochDb.Policy.Analyzers.DiagnosticIds", throwOnError: true)!
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && ((string)f.GetRawConstantValue()!).StartsWith("SOCH", StringComparison.Ordinal))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToArray();

    [Fact]
    public void EveryIdHasDescriptorsAndEveryDescriptorAnId()
    {
        Assert.Equal(13, Ids.Length);
        Assert.Equal(Ids.Order(), Descriptors.Select(d => d.Id).Distinct().Order());
        Assert.Equal(Ids.Length, Ids.Distinct().Count());
    }

    [Fact]
    public void MessageVariantsOfOneIdShareTitleSeverityCategoryAndPage()
    {
        foreach (IGrouping<string, DiagnosticDescriptor> variants in Descriptors.GroupBy(d => d.Id))
        {
            DiagnosticDescriptor first = variants.First();
            foreach (DiagnosticDescriptor variant in variants)
            {
                Assert.Equal(first.Title.ToString(), variant.Title.ToString());
                Assert.Equal(first.DefaultSeverity, variant.DefaultSeverity);
                Assert.Equal(first.Category, variant.Category);
                Assert.Equal(first.HelpLinkUri, variant.HelpLinkUri);
            }

            Assert.Equal(variants.Count(), variants.Select(d => d.MessageFormat.ToString()).Distinct().Count());
        }
    }

    [Fact]
    public void EveryIdHasADocsPageWithMeaningExampleAndFix()
    {
        string docs = Path.Combine(RepositoryRoot(), "docs", "diagnostics");
        foreach (DiagnosticDescriptor descriptor in Descriptors)
        {
            string page = Path.Combine(docs, descriptor.Id + ".md");
            Assert.True(File.Exists(page), "missing " + page);
            string text = File.ReadAllText(page);
            Assert.StartsWith("# " + descriptor.Id + ": " + descriptor.Title, text);
            Assert.Contains("## What it means", text);
            Assert.Contains("## Example", text);
            Assert.Contains("## Fix", text);
        }
    }

    [Fact]
    public void EveryHelpLinkIsAbsoluteAndPointsToTheIdsDocsPageInThePackagesRepository()
    {
        // One source of truth for the repository: the runtime package's RepositoryUrl, which the analyzers' const repeats.
        string project = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "SochDb.Policy", "SochDb.Policy.csproj"));
        string repositoryUrl = System.Xml.Linq.XDocument.Parse(project).Descendants("RepositoryUrl").Single().Value.Trim();
        Assert.Equal(DiagnosticDescriptors.RepositoryUrl, repositoryUrl);

        foreach (DiagnosticDescriptor descriptor in Descriptors)
        {
            Assert.True(Uri.TryCreate(descriptor.HelpLinkUri, UriKind.Absolute, out Uri? link), descriptor.Id + ": " + descriptor.HelpLinkUri);
            Assert.Equal("https", link!.Scheme);
            Assert.Equal(repositoryUrl + "/blob/main/docs/diagnostics/" + descriptor.Id + ".md", descriptor.HelpLinkUri);
            // The link's path inside the repository names a page that exists.
            string relative = descriptor.HelpLinkUri.Substring((repositoryUrl + "/blob/main/").Length);
            Assert.True(File.Exists(Path.Combine(RepositoryRoot(), relative)), descriptor.Id + ": no page at " + relative);
        }
    }

    [Fact]
    public void EveryIdIsTrackedInTheReleaseFilesWithItsSeverity()
    {
        string unshipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "SochDb.Policy.Analyzers", "AnalyzerReleases.Unshipped.md"));
        foreach (DiagnosticDescriptor descriptor in Descriptors)
        {
            Assert.Contains($"{descriptor.Id} | {descriptor.Category} | {descriptor.DefaultSeverity} | {descriptor.Title}", unshipped);
        }
    }

    [Fact]
    public void EveryDescriptorIsSupportedByExactlyOneAnalyzer()
    {
        var supported = PolicyAnalyzerTest.AllAnalyzers.SelectMany(a => a.SupportedDiagnostics).ToList();
        Assert.Equal(Descriptors.Length, supported.Count);
        foreach (DiagnosticDescriptor descriptor in Descriptors)
        {
            Assert.Single(supported, d => ReferenceEquals(d, descriptor));
        }
    }

    [Fact]
    public void TheDiagnosticsIndexListsEveryIdWithItsSeverityTitleAndWhetherItHasACodeFix()
    {
        string index = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics", "README.md"));
        var rows = index.Split('\n')
            .Where(line => line.StartsWith("| [SOCH", StringComparison.Ordinal))
            .Select(line => line.Split('|').Select(cell => cell.Trim()).ToArray())
            .ToDictionary(cells => cells[1].Substring(1, 8), StringComparer.Ordinal);
        var fixable = typeof(SochDb.Policy.CodeFixes.MakeHandlerStaticCodeFixProvider).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider).IsAssignableFrom(t))
            .SelectMany(t => ((Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds)
            .ToHashSet(StringComparer.Ordinal);

        // Some IDs have a second descriptor (another message for another form of the mistake) with the same title.
        Assert.Equal(Descriptors.Select(d => d.Id).Distinct().Order(), rows.Keys.Order());
        foreach (DiagnosticDescriptor descriptor in Descriptors)
        {
            string[] cells = rows[descriptor.Id];
            Assert.Equal(descriptor.DefaultSeverity.ToString().ToLowerInvariant(), cells[2]);
            Assert.Equal(descriptor.Title.ToString(), cells[3]);
            Assert.True(fixable.Contains(descriptor.Id) == (cells[4] != "—"),
                $"{descriptor.Id}: the index says code fix '{cells[4]}', the code fixes {(fixable.Contains(descriptor.Id) ? "do" : "do not")} fix it");
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SochDb.Policy.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("SochDb.Policy.sln not found above " + AppContext.BaseDirectory);
    }
}
