using System.Diagnostics;
using System.Text;
using SochDb.Policy.Analyzers.Tests.Infrastructure;

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
            [BeforeWrite("system/*")]
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
        // Analyzers only: with the generator, a build stops at the generator's own errors (SOCH0001, below), as the
        // compiler does after any generator error, and reports the analyzers' findings once those are fixed. The project
        // gets the generator's attribute file as a source file of its own instead.
        string directory = CreateProject(
            "root = true\n\n[*.cs]\ndotnet_diagnostic.SOCH0008.severity = error\n", BadSource, withGenerator: false);
        try
        {
            string badPath = Path.Combine(directory, "Bad.cs");
            (int exitCode, string output) = RunBuild(directory);

            Assert.True(exitCode != 0, "the build should fail:\n" + output);
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

    private const string InvalidPatternSource = """
        using SochDb.Policy;

        namespace EndToEnd;

        public static partial class AgentPolicies
        {
            [BeforeWrite("sys[tem")]
            static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;

            [BeforeRead("users/*")]
            static PolicyAction Read(in PolicyRequest request) => PolicyAction.Allow;
        }
        """;

    /// <summary>
    /// One mistake, one error: a bad pattern fails the build with SOCH0001 on the offending '[' (reported by the
    /// generator, which leaves the rule out) and nothing else: no CS1029 from generated code, no second SOCH0001.
    /// (The compiler goes no further after a generator's error, so other mistakes show once the pattern is fixed; the IDE
    /// shows them all at once.)
    /// </summary>
    [Fact]
    public void InvalidPatternIsExactlyOneError()
    {
        string directory = CreateProject("root = true\n", InvalidPatternSource, withGenerator: true);
        try
        {
            (int exitCode, string output) = RunBuild(directory);

            Assert.True(exitCode != 0, "the build must fail:\n" + output);
            AssertReported(output, Path.Combine(directory, "Bad.cs"), "SOCH0001", PositionOf(InvalidPatternSource, "sys[tem", 3));
            // MSBuild prints each error twice (as it happens and in the summary); one distinct error in all.
            string[] errors = output.Split('\n').Select(l => l.Trim()).Where(l => l.Contains(": error ", StringComparison.Ordinal)).Distinct().ToArray();
            Assert.True(errors.Length == 1, "expected exactly one error:\n" + output);
            Assert.DoesNotContain("CS1029", output);
        }
        finally
        {
            DeleteQuietly(directory);
        }
    }

    public static TheoryData<string, string, string> Suppressions { get; } = new()
    {
        { "pragma", "root = true\n", "" },
        { "NoWarn", "root = true\n", "<NoWarn>$(NoWarn);SOCH0001</NoWarn>" },
        { "editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.SOCH0001.severity = none\n", "" },
        { "global editorconfig", "is_global = true\ndotnet_diagnostic.SOCH0001.severity = none\n", "" },
        { "analyzers not run", "root = true\n", "<RunAnalyzers>false</RunAnalyzers>" },
    };

    /// <summary>
    /// Whatever tries to silence SOCH0001 (a <c>#pragma</c>, <c>NoWarn</c>, an <c>.editorconfig</c> severity of none, or
    /// not running analyzers at all), the build still fails on it: the rule is not compiled, so a passing build would run
    /// without the guard it declares.
    /// </summary>
    [Theory]
    [MemberData(nameof(Suppressions))]
    public void SuppressedInvalidPatternStillFailsTheBuild(string how, string editorConfig, string property)
    {
        string source = how == "pragma"
            ? InvalidPatternSource.Replace("    [BeforeWrite(\"sys[tem\")]", "#pragma warning disable SOCH0001\n    [BeforeWrite(\"sys[tem\")]", StringComparison.Ordinal)
            : InvalidPatternSource;
        Assert.Contains("sys[tem", source);
        string directory = CreateProject(editorConfig, source, withGenerator: true, property);
        try
        {
            (int exitCode, string output) = RunBuild(directory);

            Assert.True(exitCode != 0, $"the build must fail with SOCH0001 silenced by {how}:\n{output}");
            AssertReported(output, Path.Combine(directory, "Bad.cs"), "SOCH0001", PositionOf(source, "sys[tem", 3));
        }
        finally
        {
            DeleteQuietly(directory);
        }
    }

    private const string SetSource = """
        using SochDb.Policy;

        namespace EndToEnd;

        [DenyAll(PolicyTrigger.BeforeWrite, "secrets/**")]
        [DenyAll(PolicyTrigger.BeforeRead, "vault/**")]
        [DenyAll(PolicyTrigger.BeforeRead, "vault")]
        [Redact("vault/*/ssn", "***")]
        public partial class SetPolicies
        {
            [BeforeWrite("secrets/*/key")]
            static PolicyAction CheckKeys(in PolicyRequest request) => PolicyAction.Allow;

            [BeforeDelete("logs/{a,b}")]
            [BeforeDelete("logs/[ab]")]
            static PolicyAction Logs(in PolicyRequest request) => PolicyAction.Allow;

            [BeforeWrite("tmp/*", Order = 5)]
            static PolicyAction Overlapping(in PolicyRequest request) => PolicyAction.Deny;

            [BeforeWrite("tmp/**", Order = 6)]
            static PolicyAction NearMiss(in PolicyRequest request) => PolicyAction.Allow;

            [BeforeWrite("tmp", Order = 7)]
            static PolicyAction Parents(in PolicyRequest request) => request.Context.Has("a") ? PolicyAction.Allow : PolicyAction.Deny;
        }
        """;

    /// <summary>The four set findings in a real build, each on the pattern's opening quote; the near miss stays silent.</summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void Dotnet_build_reports_the_set_findings_on_the_pattern()
    {
        string directory = CreateProject(
            "root = true\n\n[*.cs]\ndotnet_diagnostic.SOCH0016.severity = warning\n", SetSource, withGenerator: true);
        try
        {
            string path = Path.Combine(directory, "Bad.cs");
            (int exitCode, string output) = RunBuild(directory);

            Assert.True(exitCode == 0, "warnings only, the build passes:\n" + output);
            AssertReported(output, path, "SOCH0014", PositionOf(SetSource, "\"secrets/*/key\"", 0), "warning");
            AssertReported(output, path, "SOCH0015", PositionOf(SetSource, "\"logs/[ab]\"", 0), "warning");
            AssertReported(output, path, "SOCH0016", PositionOf(SetSource, "\"secrets/**\"", 0), "warning");
            AssertReported(output, path, "SOCH0017", PositionOf(SetSource, "\"vault/*/ssn\"", 0), "warning");
            Assert.DoesNotContain("tmp/**", output);
            Assert.Equal(4, output.Split('\n').Where(l => l.Contains(": warning SOCH001", StringComparison.Ordinal)).Distinct().Count());
        }
        finally
        {
            DeleteQuietly(directory);
        }
    }

    /// <summary>A project of its own in a temp folder, referencing the runtime and the analyzers (and the generator when asked).</summary>
    private static string CreateProject(string editorConfig, string source, bool withGenerator, string properties = "")
    {
        string repo = FindRepositoryRoot();
        string directory = Path.Combine(Path.GetTempPath(), "sochdb-policy-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);

        // Own (empty) props files: nothing from a parent folder leaks in; versions come from the referenced projects.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"),
            "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>\n");
        File.WriteAllText(Path.Combine(directory, editorConfig.StartsWith("is_global", StringComparison.Ordinal) ? ".globalconfig" : ".editorconfig"), editorConfig);
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
                {properties}
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
        if (!withGenerator)
        {
            File.WriteAllText(Path.Combine(directory, PolicyTestReferences.AttributeFileName), PolicyTestReferences.AttributeSource);
        }

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

    private static void AssertReported(string output, string file, string id, (int Line, int Column) position, string severity = "error")
    {
        string expected = $"{file}({position.Line},{position.Column}): {severity} {id}";
        Assert.True(output.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in the build output:\n{output}");
    }

    /// <summary>1-based line and column of <paramref name="text"/> (its last occurrence) plus <paramref name="offset"/> in <see cref="BadSource"/>.</summary>
    private static (int Line, int Column) PositionOf(string text, int offset) => PositionOf(BadSource, text, offset);

    private static (int Line, int Column) PositionOf(string source, string text, int offset)
    {
        int index = source.LastIndexOf(text, StringComparison.Ordinal);
        Assert.True(index >= 0, text);
        index += offset;
        int lineStart = source.LastIndexOf('\n', index - 1) + 1;
        int line = source.Take(index).Count(c => c == '\n') + 1;
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
