using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SochDb.Policy.Tool.Check;

// SARIF 2.1.0, the part code scanning reads: the tool and its rules (id, descriptions, help), and results with a message,
// a physical location (file, start and end line and column) and partial fingerprints.
internal sealed record SarifLog(
    [property: JsonPropertyName("$schema")] string Schema,
    string Version,
    IReadOnlyList<SarifRun> Runs);

internal sealed record SarifRun(SarifTool Tool, IReadOnlyList<SarifArtifact> Artifacts, IReadOnlyList<SarifResult> Results, string ColumnKind);

internal sealed record SarifTool(SarifDriver Driver);

internal sealed record SarifDriver(string Name, string FullName, string Version, string SemanticVersion, IReadOnlyList<SarifRule> Rules);

internal sealed record SarifRule(
    string Id,
    string Name,
    SarifText ShortDescription,
    SarifText FullDescription,
    SarifMarkdown Help,
    SarifConfiguration DefaultConfiguration);

internal sealed record SarifText(string Text);

internal sealed record SarifMarkdown(string Text, string Markdown);

internal sealed record SarifConfiguration(string Level);

internal sealed record SarifArtifact(SarifArtifactLocation Location);

internal sealed record SarifArtifactLocation(string Uri);

internal sealed record SarifResult(
    string RuleId,
    int RuleIndex,
    string Level,
    SarifText Message,
    IReadOnlyList<SarifLocation> Locations,
    IReadOnlyDictionary<string, string> PartialFingerprints);

internal sealed record SarifLocation(SarifPhysicalLocation PhysicalLocation);

internal sealed record SarifPhysicalLocation(SarifArtifactLocation ArtifactLocation, SarifRegion Region);

internal sealed record SarifRegion(int StartLine, int StartColumn, int EndLine, int EndColumn);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SarifLog))]
internal sealed partial class SarifJsonContext : JsonSerializerContext;

/// <summary>Writes a <see cref="CheckReport"/> as a SARIF 2.1.0 log that GitHub code scanning accepts.</summary>
internal static class SarifWriter
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    /// <summary>The fingerprint key: stable while the finding and its configuration path stay, wherever the lines move.</summary>
    public const string FingerprintKey = "sochdbPolicyFinding/v1";

    // Messages quote keys and patterns: write " and + as they are, not as \u0022 (the output is a file, not HTML).
    private static readonly SarifJsonContext Context =
        new(new JsonSerializerOptions(SarifJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static void Write(CheckReport report, TextWriter output)
    {
        string uri = ArtifactUri(report.File);
        IReadOnlyList<CheckRule> rules = CheckRules.All;
        var results = report.Findings.Select(f => new SarifResult(
                f.RuleId,
                IndexOf(rules, f.RuleId),
                Level(f.Level),
                new SarifText(f.Message),
                [new SarifLocation(new SarifPhysicalLocation(
                    new SarifArtifactLocation(uri),
                    new SarifRegion(f.Span.StartLine, f.Span.StartColumn, f.Span.EndLine, Math.Max(f.Span.EndColumn, f.Span.StartColumn))))],
                new Dictionary<string, string> { [FingerprintKey] = Fingerprint(uri, f) }))
            .ToList();
        string version = ToolVersion.Text;
        var log = new SarifLog(SchemaUri, "2.1.0",
        [
            new SarifRun(
                new SarifTool(new SarifDriver("sochdb-policy", "sochdb-policy (SochDb.Policy.Tool)", version, ToolVersion.Semantic,
                    rules.Select(r => new SarifRule(r.Id, r.Name, new SarifText(r.ShortDescription), new SarifText(r.FullDescription),
                        new SarifMarkdown(r.Help, r.Help), new SarifConfiguration(Level(r.DefaultLevel)))).ToList())),
                [new SarifArtifact(new SarifArtifactLocation(uri))],
                results,
                "utf16CodeUnits"),
        ]);
        output.Write(JsonSerializer.Serialize(log, Context.SarifLog));
        output.WriteLine();
    }

    private static int IndexOf(IReadOnlyList<CheckRule> rules, string id)
    {
        for (int i = 0; i < rules.Count; i++)
        {
            if (rules[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Level(FindingLevel level) => level switch
    {
        FindingLevel.Error => "error",
        FindingLevel.Warning => "warning",
        _ => "note",
    };

    /// <summary>
    /// The file relative to the working directory with forward slashes when it lies under it (code scanning resolves
    /// such a path against the repository root, where a workflow runs), else an absolute file URI.
    /// </summary>
    internal static string ArtifactUri(string file)
    {
        string full = Path.GetFullPath(file);
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), full);
        if (!Path.IsPathRooted(relative) && !relative.StartsWith("..", StringComparison.Ordinal))
        {
            return string.Join('/', relative.Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString));
        }

        return new Uri(full).AbsoluteUri;
    }

    private static string Fingerprint(string uri, Finding finding)
    {
        string identity = $"{uri}\n{finding.RuleId}\n{finding.ConfigurationPath}\n{finding.Message}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32];
    }
}

/// <summary>The tool's version, from its assembly (the package version).</summary>
internal static class ToolVersion
{
    public static string Text { get; } =
        typeof(ToolVersion).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0";

    /// <summary>The version without build metadata (<c>0.1.0</c>).</summary>
    public static string Semantic { get; } = Text.Split('+')[0];
}
