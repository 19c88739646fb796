using System.Xml.Linq;

namespace SochDb.Policy.EndToEndTests;

/// <summary>
/// The public surface is recorded: every shipped library lists its public API in PublicAPI.Shipped.txt and
/// PublicAPI.Unshipped.txt, and a public member that is not listed (or a listed one that is gone) fails the build.
/// </summary>
public sealed class PublicApiTrackingTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sochdb-publicapi-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>
    /// The libraries that ship to users: packable projects under src/ that are neither Roslyn components nor dotnet
    /// tools (a tool is a program: nobody references it, so it has no API surface to record).
    /// </summary>
    public static TheoryData<string> ShippedLibraries()
    {
        var data = new TheoryData<string>();
        foreach (string project in Directory.GetFiles(Path.Combine(RepositoryLayout.Root, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            XDocument xml = XDocument.Load(project);
            bool roslynComponent = Property(xml, "IsRoslynComponent") == "true";
            bool packable = Property(xml, "IsPackable") != "false";
            bool tool = Property(xml, "PackAsTool") == "true";
            if (packable && !roslynComponent && !tool)
            {
                data.Add(Path.GetRelativePath(RepositoryLayout.Root, project));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedLibraries))]
    public void ShippedLibraryTracksItsPublicApi(string project)
    {
        string path = Path.Combine(RepositoryLayout.Root, project);
        Assert.Equal("true", Property(XDocument.Load(path), "TrackPublicApi"));
        string directory = Path.GetDirectoryName(path)!;
        string shipped = Path.Combine(directory, "PublicAPI.Shipped.txt");
        string unshipped = Path.Combine(directory, "PublicAPI.Unshipped.txt");
        Assert.True(File.Exists(shipped), shipped + " is missing");
        Assert.True(File.Exists(unshipped), unshipped + " is missing");
        // Nullable annotations are part of the recorded surface (without this line the analyzer ignores them).
        Assert.Equal("#nullable enable", File.ReadLines(shipped).First());
        Assert.Equal("#nullable enable", File.ReadLines(unshipped).First());
    }

    [Fact]
    public void RuntimeSurfaceListsTheEngineAndNoneOfTheInternals()
    {
        string directory = Path.Combine(RepositoryLayout.Root, "src", "SochDb.Policy");
        string[] lines = [.. File.ReadAllLines(Path.Combine(directory, "PublicAPI.Shipped.txt")), .. File.ReadAllLines(Path.Combine(directory, "PublicAPI.Unshipped.txt"))];
        Assert.Contains("SochDb.Policy.PolicyEngine", lines);
        Assert.Contains("SochDb.Policy.GlobPatternException", lines);
        // What only the generator, the analyzers or the engine use is internal, so it is not part of the surface.
        foreach (string hidden in new[] { "SochDb.Policy.Glob.", "PolicyMetrics", "KeyRules.Encode", "ByteKeyComparer", "SegmentProgram", "GlobParseError", "GlobErrorCode" })
        {
            Assert.DoesNotContain(lines, line => line.Contains(hidden, StringComparison.Ordinal));
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void UnannouncedChangeToTheSurfaceFailsTheBuild()
    {
        // A library opted in exactly as the repository's libraries are: the repository's build files and one property.
        foreach (string file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.Copy(Path.Combine(RepositoryLayout.Root, file), Path.Combine(_work, file));
        }

        File.WriteAllText(Path.Combine(_work, "Lib.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <TrackPublicApi>true</TrackPublicApi>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_work, "Listed.cs"), """
            namespace Lib;

            public sealed class Listed
            {
                public void Added() { }
            }
            """);
        File.WriteAllText(Path.Combine(_work, "PublicAPI.Shipped.txt"), "#nullable enable\n");
        File.WriteAllText(Path.Combine(_work, "PublicAPI.Unshipped.txt"), """
            #nullable enable
            Lib.Listed
            Lib.Listed.Listed() -> void
            Lib.Listed.Removed() -> void

            """);

        (int exit, string output) = DotnetCli.Run(_work, "build", "--disable-build-servers");

        Assert.True(exit != 0, "the build should fail:\n" + output);
        Assert.True(output.Contains("Listed.cs(5,17): error RS0016: Symbol 'Lib.Listed.Added() -> void' is not part of the declared public API", StringComparison.Ordinal), output);
        Assert.True(output.Contains("PublicAPI.Unshipped.txt(4,1): error RS0017: Symbol 'Lib.Listed.Removed() -> void' is part of the declared API", StringComparison.Ordinal), output);
    }

    private static string? Property(XDocument project, string name) =>
        project.Descendants(name).Select(e => e.Value.Trim()).FirstOrDefault();
}
