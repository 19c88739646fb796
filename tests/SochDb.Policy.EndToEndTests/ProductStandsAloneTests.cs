namespace SochDb.Policy.EndToEndTests;

/// <summary>
/// The product's code, XML docs, docs pages, samples, tests and benchmarks cite only the product's own docs: no
/// outside specification file and no section numbers of one.
/// </summary>
public sealed class ProductStandsAloneTests
{
    // Spelled in pieces so this file does not match itself.
    private static readonly string[] Forbidden = ["DESIGN" + ".md", "\u00a7"];

    private static readonly string[] Roots = ["src", "tests", "docs", "samples", "benchmarks"];

    private static readonly string[] Extensions = [".cs", ".md", ".csproj", ".props", ".targets", ".txt", ".json", ".sh"];

    [Fact]
    public void NoFileCitesAnOutsideSpecification()
    {
        var files = Roots
            .Select(root => Path.Combine(RepositoryLayout.Root, root))
            .Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            .Where(file => Extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
            .Where(file => !IsBuildOutput(file))
            .Append(Path.Combine(RepositoryLayout.Root, "README.md"))
            .ToList();
        Assert.NotEmpty(files);

        var citations = new List<string>();
        foreach (string file in files)
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (Forbidden.Any(text => lines[i].Contains(text, StringComparison.Ordinal)))
                {
                    citations.Add($"{Path.GetRelativePath(RepositoryLayout.Root, file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(citations.Count == 0, "link the project's docs pages instead:\n" + string.Join('\n', citations));
    }

    private static bool IsBuildOutput(string file)
    {
        string relative = Path.GetRelativePath(RepositoryLayout.Root, file).Replace('\\', '/');
        return relative.Split('/').Any(part => part is "bin" or "obj" or "BenchmarkDotNet.Artifacts");
    }
}
