using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SochDb;
using SochDb.Policy.Hosting;

namespace SochDb.Policy.Tool.Check;

/// <summary>
/// Loads a policy section from a JSON file exactly as <c>AddSochDbPolicy</c> does — the JSON configuration provider,
/// the hosting package's binding, shape check and compiler, the engine options' start-up validation — and reports
/// every error and every finding of the policy-set analysis, each placed in the file. Nothing is opened: no store, no
/// audit ledger.
/// </summary>
internal static partial class ConfigurationCheck
{
    /// <summary>The checks and the policy-set analysis of <paramref name="file"/>, in file order.</summary>
    public static CheckReport Run(string file, string sectionName)
    {
        LoadedPolicyFile loaded = Load(file, sectionName);
        var findings = new List<Finding>(loaded.Findings);
        if (loaded.Snapshot is not null && !findings.Any(f => f.Level == FindingLevel.Error))
        {
            using PolicyEngine engine = loaded.CreateEngine();
            PolicySetAnalysis.Report(engine, loaded, findings);
        }

        List<Finding> ordered = findings
            .OrderBy(f => f.Span.StartLine).ThenBy(f => f.Span.StartColumn).ThenBy(f => f.Level)
            .ToList();
        return new CheckReport(file, ordered, loaded.Snapshot?.Rules.Count ?? 0);
    }

    /// <summary>The file loaded as the hosting package loads it: its errors, and its rules when it has none.</summary>
    public static LoadedPolicyFile Load(string file, string sectionName)
    {
        byte[] bytes = File.ReadAllBytes(file);
        var findings = new List<Finding>();
        JsonSourceMap map;
        try
        {
            map = JsonSourceMap.Parse(bytes);
        }
        catch (JsonException e)
        {
            int line = (int)(e.LineNumber ?? 0) + 1;
            int column = (int)(e.BytePositionInLine ?? 0) + 1;
            findings.Add(new Finding(CheckRules.InvalidJson, FindingLevel.Error, $"not valid JSON: {e.Message}", null,
                new SourceSpan(line, column, line, column + 1)));
            return new LoadedPolicyFile(sectionName, findings, null, null, EnforcementMode.Enforce);
        }

        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            // A key written twice in one object (case-insensitively), which the configuration provider refuses.
            string message = (e.InnerException ?? e).Message;
            string? duplicate = DuplicateKey().Match(message) is { Success: true } m ? m.Groups[1].Value : null;
            findings.Add(new Finding(CheckRules.InvalidJson, FindingLevel.Error, $"the configuration provider refuses the file: {message}", duplicate,
                duplicate is not null && map.KeyOf(duplicate) is { } at ? at : FileStart));
            return new LoadedPolicyFile(sectionName, findings, map, null, EnforcementMode.Enforce);
        }

        IConfigurationSection section = root.GetSection(sectionName);
        var services = new ServiceCollection();
        services.AddSochDbPolicy(section);
        using ServiceProvider provider = services.BuildServiceProvider();

        SochDbPolicyOptions? engineOptions = CheckEngineOptions(provider, sectionName, map, findings);
        PolicyRulesOptions rules = provider.GetRequiredService<IOptionsMonitor<PolicyRulesOptions>>().CurrentValue;
        PolicyConfigurationSnapshot? snapshot = null;
        try
        {
            snapshot = PolicyConfigurationCompiler.Compile(rules);
        }
        catch (PolicyConfigurationException e)
        {
            foreach (PolicyConfigurationError error in e.Errors)
            {
                if (findings.Any(f => string.Equals(f.ConfigurationPath, error.Path, StringComparison.OrdinalIgnoreCase)))
                {
                    continue; // the engine options' binder said it already (an unknown Mode)
                }

                SourceSpan span = error.PatternPosition is int position
                    ? map.CharacterOf(error.Path, position) ?? FileStart
                    : (map.Contains(error.Path) && error.Field is not null ? map.ValueOf(error.Path) : map.KeyOf(error.Path)) ?? FileStart;
                findings.Add(new Finding(CheckRules.InvalidConfiguration, FindingLevel.Error, error.ToString(), error.Path, span));
            }
        }

        return new LoadedPolicyFile(sectionName, findings, map, findings.Count == 0 ? snapshot : null, engineOptions?.Mode ?? EnforcementMode.Enforce);
    }

    internal static SourceSpan FileStart => new(1, 1, 1, 1);

    /// <summary>The start-up validation of the engine options (store, audit, mode, nesting depth), as the host runs it.</summary>
    private static SochDbPolicyOptions? CheckEngineOptions(ServiceProvider provider, string sectionName, JsonSourceMap map, List<Finding> findings)
    {
        try
        {
            return provider.GetRequiredService<IOptions<SochDbPolicyOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            foreach (string failure in e.Failures)
            {
                string path = OptionsPath(failure, sectionName);
                string message = failure.StartsWith(path, StringComparison.OrdinalIgnoreCase) ? failure : $"{path}: {MemberPrefix().Replace(failure, "")}";
                findings.Add(new Finding(CheckRules.InvalidOptions, FindingLevel.Error, message, path, map.KeyOf(path) ?? FileStart));
            }
        }
        catch (InvalidOperationException e)
        {
            // The binder: a value that does not convert ("Failed to convert configuration value at 'SochDbPolicy:Mode' ...").
            string path = BinderPath().Match(e.Message) is { Success: true } m ? m.Groups[1].Value : sectionName;
            findings.Add(new Finding(CheckRules.InvalidOptions, FindingLevel.Error, $"{path}: {e.Message}", path, map.ValueOf(path) ?? FileStart));
        }

        return null;
    }

    /// <summary>The configuration path a validation failure speaks of: a member it names, else the section.</summary>
    private static string OptionsPath(string failure, string sectionName)
    {
        if (WrittenPath().Match(failure) is { Success: true } written)
        {
            return sectionName + written.Groups[1].Value;
        }

        if (ValidatedMember().Match(failure) is { Success: true } member)
        {
            return sectionName + ":" + member.Groups[1].Value.Replace('.', ':');
        }

        return sectionName;
    }

    [GeneratedRegex("at '([^']+)'")]
    private static partial Regex BinderPath();

    [GeneratedRegex(@"^SochDbPolicy((?::[A-Za-z]+)+)")]
    private static partial Regex WrittenPath();

    [GeneratedRegex(@"(?:members: '|The field )([A-Za-z.]+)")]
    private static partial Regex ValidatedMember();

    [GeneratedRegex(@"^[A-Za-z.]+: ")]
    private static partial Regex MemberPrefix();

    [GeneratedRegex("duplicate key '([^']+)'", RegexOptions.IgnoreCase)]
    private static partial Regex DuplicateKey();
}

/// <summary>A policy file as loaded: what is wrong with it, and, when nothing is, its configured rules and limits.</summary>
internal sealed class LoadedPolicyFile
{
    public LoadedPolicyFile(string section, IReadOnlyList<Finding> findings, JsonSourceMap? map, PolicyConfigurationSnapshot? snapshot, EnforcementMode mode)
    {
        Section = section;
        Findings = findings;
        Map = map;
        Snapshot = snapshot;
        Mode = mode;
    }

    public string Section { get; }

    public IReadOnlyList<Finding> Findings { get; }

    public JsonSourceMap? Map { get; }

    /// <summary>The rules and limits; null when the file has an error.</summary>
    public PolicyConfigurationSnapshot? Snapshot { get; }

    /// <summary>The engine-wide mode the file sets.</summary>
    public EnforcementMode Mode { get; }

    /// <summary>An engine over an empty in-memory store with the file's mode, rules (in order) and rate limits.</summary>
    public PolicyEngine CreateEngine()
    {
        PolicyConfigurationSnapshot snapshot = Snapshot ?? throw new InvalidOperationException("The file has errors; it configures no engine.");
        var engine = new PolicyEngine(Database.OpenInMemory(), new PolicyEngineOptions { Mode = Mode });
        try
        {
            engine.RegisterRules(snapshot.Rules);
            foreach (RateLimitRule limit in snapshot.RateLimits)
            {
                engine.AddRateLimit(limit);
            }

            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }
}
