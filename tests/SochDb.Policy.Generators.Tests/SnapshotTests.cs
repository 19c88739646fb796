using System.Runtime.CompilerServices;

namespace SochDb.Policy.Generators.Tests;

/// <summary>
/// The generated file per representative class, compared with Snapshots/*.g.cs.txt (version normalised).
/// After an intended change of the output, update them with:
/// <c>SOCHDB_UPDATE_SNAPSHOTS=1 dotnet test tests/SochDb.Policy.Generators.Tests --filter FullyQualifiedName~SnapshotTests</c>
/// and review the diff.
/// </summary>
public class SnapshotTests
{
    [Theory]
    [InlineData(nameof(TestSources.DesignSample), "AgentGuard.AgentPolicies.Policies.g.cs")]
    [InlineData(nameof(TestSources.ClassLevelAndOrdering), "Contoso.Agents.Outer.Inner.Policies.g.cs")]
    [InlineData(nameof(TestSources.ManyTenants), "TenantPolicies.Policies.g.cs")]
    [InlineData(nameof(TestSources.MixedShapes), "Shapes.MixedPolicies.Policies.g.cs")]
    [InlineData(nameof(TestSources.CrowdedAnchors), "Shapes.CrowdedPolicies.Policies.g.cs")]
    public void GeneratedFileMatchesSnapshot(string sourceName, string hintName)
    {
        string source = (string)typeof(TestSources).GetField(sourceName)!.GetValue(null)!;
        GeneratorResult result = GeneratorHarness.Run(source);
        AssertMatchesSnapshot(sourceName, GeneratorHarness.Normalize(result.Source(hintName)));
    }

    /// <summary>The attributes' file, which every compilation gets (the generator's post-initialization output).</summary>
    [Fact]
    public void AttributeFileMatchesSnapshot()
    {
        GeneratorResult result = GeneratorHarness.Run(TestSources.DesignSample);
        AssertMatchesSnapshot("Attributes", GeneratorHarness.Normalize(result.Source(PolicyAttributesSource.HintName)));
    }

    private static void AssertMatchesSnapshot(string name, string actual)
    {
        string path = Path.Combine(SnapshotDirectory(), name + ".g.cs.txt");
        if (Environment.GetEnvironmentVariable("SOCHDB_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"Snapshot {path} is missing; create it with SOCHDB_UPDATE_SNAPSHOTS=1.");
        string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void OutputIsDeterministicAndTypesComeInOrdinalOrder()
    {
        // Same sources in two different orders: same files, same text: the attributes first, then the policy types in
        // ordinal order of type name.
        GeneratorResult first = GeneratorHarness.Run(TestSources.ManyTenants, TestSources.DesignSample, TestSources.ClassLevelAndOrdering);
        GeneratorResult second = GeneratorHarness.Run(TestSources.ClassLevelAndOrdering, TestSources.DesignSample, TestSources.ManyTenants);
        string[] names = first.Sources.Select(s => s.HintName).ToArray();
        Assert.Equal(
            [PolicyAttributesSource.HintName, "AgentGuard.AgentPolicies.Policies.g.cs", "Contoso.Agents.Outer.Inner.Policies.g.cs", "TenantPolicies.Policies.g.cs"],
            names);
        Assert.Equal(names, second.Sources.Select(s => s.HintName).ToArray());
        foreach (string name in names)
        {
            Assert.Equal(first.Source(name), second.Source(name));
        }
    }

    private static string SnapshotDirectory([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "Snapshots");
}
