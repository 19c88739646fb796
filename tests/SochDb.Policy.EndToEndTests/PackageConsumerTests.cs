using System.Text.RegularExpressions;

namespace SochDb.Policy.EndToEndTests;

/// <summary>
/// Packs SochDb.Policy into a local folder and restores a consumer project from it, the way a user would:
/// the generator must run (the consumer's policies work), and a bad handler must fail the build with SOCH errors.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackageConsumerTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sochdb-pack-").FullName;
    private readonly string _version = "0.0.0-e2e." + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// The consumers restore into a packages folder of their own, deleted with the work folder, so no test package is
    /// left in the user's NuGet cache; that cache is only read, as a fallback folder, for the packages' dependencies.
    /// </summary>
    private string PrivatePackages => Path.Combine(_work, "packages");

    private static string UserPackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private Dictionary<string, string> ConsumerEnvironment => new() { ["NUGET_PACKAGES"] = PrivatePackages };

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void PackageCarriesGeneratorAndAnalyzers()
    {
        string feed = Pack();
        string nupkg = Assert.Single(Directory.GetFiles(feed, "SochDb.Policy.*.nupkg"));
        using var archive = System.IO.Compression.ZipFile.OpenRead(nupkg);
        string[] entries = archive.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains("lib/net10.0/SochDb.Policy.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/SochDb.Policy.Generators.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/SochDb.Policy.Analyzers.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/SochDb.Policy.CodeFixes.dll", entries);
        Assert.Contains("README.md", entries);

        string nuspec = new StreamReader(archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
        Assert.DoesNotContain("SochDb.Policy.Generators", nuspec);
        Assert.DoesNotContain("SochDb.Policy.Analyzers", nuspec);
        Assert.Contains("Microsoft.Data.Sqlite", nuspec);
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
        Assert.Contains("<readme>README.md</readme>", nuspec);

        string consumer = WriteConsumer(feed, bad: false);
        (int exit, string output) = DotnetCli.Run(consumer, ConsumerEnvironment, "run", "--disable-build-servers");
        Assert.True(exit == 0, output);
        Assert.Contains("system write denied: True", output);
        Assert.Contains("email read: [REDACTED]", output);
        // The attributes came from the package's generator, documented and warning-free (the consumer treats warnings as
        // errors and writes a documentation file), and as compile-time markers they left nothing in the metadata.
        Assert.Contains("attributes in metadata: 0", output);

        string badConsumer = WriteConsumer(feed, bad: true);
        (int badExit, string badOutput) = DotnetCli.Run(badConsumer, ConsumerEnvironment, "build", "--disable-build-servers");
        Assert.NotEqual(0, badExit);
        Assert.True(Regex.IsMatch(badOutput, @"Policies\.cs\(5,26\): error SOCH0001"), badOutput);
        // The generator reports an invalid pattern and the compiler stops there; with the pattern fixed, the analyzers
        // report the next mistake (a handler that is not static).
        string policies = Path.Combine(badConsumer, "Policies.cs");
        File.WriteAllText(policies, File.ReadAllText(policies).Replace("sys[tem/*", "systems/*", StringComparison.Ordinal));
        (badExit, badOutput) = DotnetCli.Run(badConsumer, ConsumerEnvironment, "build", "--disable-build-servers");
        Assert.NotEqual(0, badExit);
        Assert.DoesNotContain("SOCH0001", badOutput);
        Assert.True(Regex.IsMatch(badOutput, @"Policies\.cs\(9,18\): error SOCH0002"), badOutput);

        // The test package went to the private folder only.
        Assert.True(Directory.Exists(Path.Combine(PrivatePackages, "sochdb.policy", _version)), "the consumer did not restore into its private packages folder");
        Assert.False(Directory.Exists(Path.Combine(UserPackages, "sochdb.policy", _version)), "the test package was left in the user's NuGet cache");
    }

    private string Pack()
    {
        string feed = Path.Combine(_work, "feed");
        (int exit, string output) = DotnetCli.Run(
            RepositoryLayout.Root, "pack", "src/SochDb.Policy/SochDb.Policy.csproj", "-c", "Release", "-o", feed,
            $"-p:Version={_version}", "--disable-build-servers");
        Assert.True(exit == 0, output);
        return feed;
    }

    private string WriteConsumer(string feed, bool bad)
    {
        string dir = Path.Combine(_work, bad ? "bad-consumer" : "consumer");
        Directory.CreateDirectory(dir);
        // Its own props files stop the repository's from leaking into the consumer.
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="user-cache" value="{UserPackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(dir, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                {(bad ? "" : "<TreatWarningsAsErrors>true</TreatWarningsAsErrors><GenerateDocumentationFile>true</GenerateDocumentationFile>")}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SochDb.Policy" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Policies.cs"), bad
            ? """
              using SochDb.Policy;

              public partial class Policies
              {
                  [BeforeWrite("sys[tem/*")]
                  static PolicyAction BadPattern(in PolicyRequest request) => PolicyAction.Deny;

                  [BeforeWrite("system/*")]
                  PolicyAction NotStatic(in PolicyRequest request) => PolicyAction.Deny;
              }
              """
            : """
              using SochDb.Policy;

              /// <summary>The consumer's policies.</summary>
              public static partial class Policies
              {
                  static readonly byte[] Redacted = "[REDACTED]"u8.ToArray();

                  [BeforeWrite("system/*")]
                  static PolicyAction BlockSystemWrites(in PolicyRequest request) =>
                      request.Context.AgentId is null ? PolicyAction.Allow : PolicyAction.Deny;

                  [AfterRead("users/*/email")]
                  static PolicyDecision RedactEmails(in PolicyRequest request) =>
                      request.Context.Has("redact_pii") ? PolicyDecision.Modify(Redacted) : PolicyDecision.Allow;
              }
              """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), bad ? "System.Console.WriteLine(\"never built\");" : """
            using SochDb;
            using SochDb.Policy;

            using Database db = Database.OpenInMemory();
            var policy = new PolicyEngine(db, Policies.Compiled);
            var agent = new PolicyContext { AgentId = "agent_001" };
            bool denied = false;
            try { policy.Put("system/config", "x"u8, agent); } catch (PolicyViolationException) { denied = true; }
            Console.WriteLine($"system write denied: {denied}");
            policy.Put("users/alice/email", "alice@example.com"u8, agent);
            byte[]? email = policy.Get("users/alice/email", agent.With("redact_pii", "1"));
            Console.WriteLine($"email read: {System.Text.Encoding.UTF8.GetString(email!)}");
            var handler = typeof(Policies).GetMethod("BlockSystemWrites", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
            Console.WriteLine($"attributes in metadata: {handler.GetCustomAttributes(false).Count(a => a.GetType().Namespace == "SochDb.Policy")}");
            """);
        return dir;
    }
}
