using System.Diagnostics;
using System.Text;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>
/// What IDE and CI users see: `dotnet build` of a small project with bad rules fails with
/// `File.cs(line,col): error SOCHxxxx` on the offending characters, and `.editorconfig` can raise a severity.
/// </summary>
[Trait("Category", "Slow")]
public sealed class EndToEndBuildTests
{
    private const string BadSource = """
        using SochDb.Policy;

        namespace EndToEnd;

        public partial class AgentPolicies
        {
            [BeforeWrite("sys[tem")]
            static PolicyAction BlockSystemWrites(in PolicyRequest request) => PolicyAction.Deny;

            [BeforeRead("users/*")]
            PolicyAction InstanceHandler(in PolicyRequest request) => PolicyAction.Allow;

            [AfterRead("a/*"), AfterRead("a/*")]
            static PolicyAction Twice(in PolicyRequest request) => PolicyAction.Allow;
        }
        """;

    [Fact]
    public void DotnetBuildReportsEachErrorAtItsFileLineAndColumn()
    {
        string directory = CreateProject(
            "root = true\n\n[*.cs]\ndotnet_diagnostic.SOCH0008.severity = error\n", BadSource, withGenerator: false);
        try
        {
            string badPath = Path.Combine(directory, "Bad.cs");
            (int exitCode, string output) = RunBuild(directory);

            Assert.True(exitCode != 0, "the build should fail:\n" + output);
            AssertReported(output, badPath, "SOCH0001", PositionOf("sys[tem", 3));
            AssertReported(output, badPath, "SOCH0002", PositionOf("InstanceHandler", 0));
            AssertReported(output, badPath, "SOCH0008", PositionOf("AfterRead(\"a/*\")]", 0));
        }
        finally
        {
            DeleteQuietly(directory);
        }
    }

    /// <summary>
    /// The defect: with SOCH0004 set to <c>none</c> (and a <c>#pragma</c> on top), a <c>[BeforeRead]</c> handler of the
    /// wrong shape was left out by the generator and reads were allowed. Now the generated code carries an <c>#error</c>
    /// (CS1029) for it, which neither <c>.editorconfig</c> nor <c>#pragma</c> can silence, so the build fails.
    /// </summary>
    [Fact]
    public void SuppressedAnalyzer_DoesNotDropRuleSilently()
    {
        const string source = """
            using SochDb.Policy;

            namespace EndToEnd;

            public static partial class AgentPolicies
            {
            #pragma warning disable SOCH0004
                [BeforeRead("secrets/**")]
                static bool Guard(in PolicyRequest request) => false;
            #pragma warning restore SOCH0004

                [BeforeWrite("system/*")]
                static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
            }
            """;
        string directory = CreateProject(
            "root = true\n\n[*.cs]\ndotnet_diagnostic.SOCH0004.severity = none\ndotnet_diagnostic.CS1029.severity = none\n",
            source,
            withGenerator: true);
        try
        {
            (int exitCode, string output) = RunBuild(directory);

            Assert.True(exitCode != 0, "the build must fail while a policy attribute cannot be compiled:\n" + output);
            Assert.True(
                output.Contains("error CS1029: #error: 'SochDb.Policy: [BeforeRead(\"secrets/**\")] on AgentPolicies.Guard is not compiled: the handler's return type is not valid for BeforeRead (SOCH0004)'", StringComparison.Ordinal),
                "expected the #error naming the handler:\n" + output);
            Assert.DoesNotContain("error SOCH0004", output);
        }
        finally
        {
            DeleteQuietly(directory);
        }
    }

    /// <summary>A project of its own in a temp folder, referencing the runtime and the analyzers (and the generator when asked).</summary>
    private static string CreateProject(string editorConfig, string source, bool withGenerator)
    {
        string repo = FindRepositoryRoot();
        string directory = Path.Combine(Path.GetTempPath(), "sochdb-policy-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);

        // Own (empty) props files: nothing from a parent folder leaks in; versions come from the referenced projects.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"),
            "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>\n");
        File.WriteAllText(Path.Combine(directory, ".editorconfig"), editorConfig);
        string generator = withGenerator
            ? $"""
                <ProjectReference Include="{Path.Combine(repo, "src", "SochDb.Policy.Generators", "SochDb.Policy.Generators.csproj")}"
                                  OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              """
            : "";
        File.WriteAllText(Path.Combine(directory, "EndToEnd.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
                <NuGetAudit>false</NuGetAudit>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(repo, "src", "SochDb.Policy", "SochDb.Policy.csproj")}" />
                <ProjectReference Include="{Path.Combine(repo, "src", "SochDb.Policy.Analyzers", "SochDb.Policy.Analyzers.csproj")}"
                                  OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
            {generator}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Bad.cs"), source);
        return directory;
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; the assertion result matters.
        }
    }

    private static void AssertReported(string output, string file, string id, (int Line, int Column) position)
    {
        string expected = $"{file}({position.Line},{position.Column}): error {id}";
        Assert.True(output.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in the build output:\n{output}");
    }

    /// <summary>1-based line and column of <paramref name="text"/> (its last occurrence) plus <paramref name="offset"/> in <see cref="BadSource"/>.</summary>
    private static (int Line, int Column) PositionOf(string text, int offset)
    {
        int index = BadSource.LastIndexOf(text, StringComparison.Ordinal);
        Assert.True(index >= 0, text);
        index += offset;
        int lineStart = BadSource.LastIndexOf('\n', index - 1) + 1;
        int line = BadSource.Take(index).Count(c => c == '\n') + 1;
        return (line, index - lineStart + 1);
    }

    private static (int ExitCode, string Output) RunBuild(string directory)
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
                 {
                     "build", "EndToEnd.csproj", "-c", configuration, "-nologo", "--disable-build-servers",
                     // The referenced projects were built with this test assembly; building them again here could
                     // race with other builds of the repository.
                     "-p:BuildProjectReferences=false", "-p:UseSharedCompilation=false",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        // A test host may carry MSBuild variables of the build that launched it; the child build needs its own.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using Process process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("dotnet build did not finish:\n" + output);
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static string FindRepositoryRoot()
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
