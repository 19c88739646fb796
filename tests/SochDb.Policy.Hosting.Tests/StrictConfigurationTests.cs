using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>
/// A configuration the binder would half-read is refused: unknown keys, a missing or misshapen Rules, an unknown engine
/// mode; a start-up-only setting changed on reload is reported as needing a restart. Through a real JSON file.
/// </summary>
public sealed class StrictConfigurationTests
{
    private const string DenyA = """{ "Trigger": "BeforeWrite", "Pattern": "a/*", "Action": "Deny" }""";

    private static string Section(string members) => $$"""{ "SochDbPolicy": { "Store": { "InMemory": true }, {{members}} } }""";

    [Fact]
    public void Rule_instead_of_Rules_is_refused_naming_both_paths()
    {
        PolicyConfigurationException e = JsonPolicyHost.Refusal(Section($$"""  "Rule": [ {{DenyA}} ]"""));

        Assert.Contains(e.Errors, x => x.Path == "SochDbPolicy:Rule" && x.Message.Contains("did you mean \"Rules\"", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.Path == "SochDbPolicy:Rules" && x.Message.Contains("\"Rules\": []", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "Deny": {{DenyA}} }""", "found an object (with the key \"Deny\")")]
    [InlineData(DenyA, "found an object")]
    [InlineData("{}", "found an empty object or null")]
    [InlineData("null", "found an empty object or null")]
    [InlineData("\"a/*\"", "found a value")]
    public void Rules_that_are_not_an_array_are_refused(string rules, string expected)
    {
        PolicyConfigurationException e = JsonPolicyHost.Refusal(Section($"\"Rules\": {rules.Replace("{{DenyA}}", DenyA, StringComparison.Ordinal)}"));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("SochDbPolicy:Rules", error.Path);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_array_is_no_rules()
    {
        using var host = new JsonPolicyHost(Section("\"Rules\": []"));

        host.Engine.Put("a/1", "v");
        Assert.Empty(host.Status.Rules);
        Assert.Equal(1, host.Status.AppliedCount);
    }

    [Fact]
    public void Misspelt_fields_of_a_rule_are_refused_with_their_paths_and_the_likely_key()
    {
        PolicyConfigurationException e = JsonPolicyHost.Refusal(Section("""
            "Rules": [
              { "Trigger": "BeforeWrite", "Pattern": "a/*", "Action": "Deny", "Mod": "Shadow", "Reasn": "no" },
              { "Trigger": "AfterRead", "Pattern": "b/*", "Action": "Redact", "Replacment": "***" }
            ]
            """));

        Assert.Equal(
            ["SochDbPolicy:Rules:0:Mod", "SochDbPolicy:Rules:0:Reasn", "SochDbPolicy:Rules:1:Replacment"],
            e.Errors.Select(x => x.Path));
        Assert.Contains("did you mean \"Mode\"", e.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("did you mean \"Reason\"", e.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("did you mean \"Replacement\"", e.Errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("SochDbPolicy:Rules:0:Reasn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_anywhere_in_the_section_are_refused()
    {
        PolicyConfigurationException e = JsonPolicyHost.Refusal("""
            { "SochDbPolicy": {
                "Store": { "InMemory": true, "Pth": "x.db" },
                "Mdoe": "Shadow",
                "Audit": { "MaskedKeys": [ "a/*" ], "Ledger": "audit.db" },
                "Rules": [],
                "RateLimits": [ { "Operation": "Write", "MaxPerMinute": 5, "Scop": "agent_id" } ] } }
            """);

        Assert.Equal(
            ["SochDbPolicy:Audit:Ledger", "SochDbPolicy:Mdoe", "SochDbPolicy:RateLimits:0:Scop", "SochDbPolicy:Store:Pth"], // configuration's key order
            e.Errors.Select(x => x.Path));
        Assert.Contains("did you mean \"Mode\"", e.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_where_an_object_belongs_is_refused()
    {
        PolicyConfigurationException e = JsonPolicyHost.Refusal(Section("\"Rules\": [ \"a/*\" ]"));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("SochDbPolicy:Rules:0", error.Path);
        Assert.Contains("expected a rule (an object), found a value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_scope_is_refused_with_its_path()
    {
        PolicyConfigurationException e = JsonPolicyHost.Refusal(Section("""
            "Rules": [], "RateLimits": [ { "Operation": "Write", "MaxPerMinute": 5, "Scope": "agentid" } ]
            """));

        PolicyConfigurationError error = Assert.Single(e.Errors);
        Assert.Equal("SochDbPolicy:RateLimits:0:Scope", error.Path);
        Assert.Contains("unknown scope \"agentid\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Misshapen_reloads_are_refused_and_the_denied_key_stays_denied()
    {
        using var host = new JsonPolicyHost(Section($"\"Rules\": [ {DenyA} ]"));
        PolicyEngine engine = host.Engine;
        Assert.Throws<PolicyViolationException>(() => engine.Put("a/1", "v"));

        string[] broken =
        [
            Section($"\"Rule\": [ {DenyA} ]"),
            Section($"\"Rules\": {DenyA}"),
            Section("\"Rules\": {}"),
            Section($"\"Rules\": [ {DenyA.Replace("\"Action\"", "\"Reasn\": \"x\", \"Action\"", StringComparison.Ordinal)} ]"),
            Section($"\"Mode\": \"Shdow\", \"Rules\": [ {DenyA} ]"),
        ];
        for (int i = 0; i < broken.Length; i++)
        {
            host.Rewrite(broken[i]);

            Assert.Equal(i + 1, host.Status.RefusedCount);
            Assert.Throws<PolicyViolationException>(() => engine.Put("a/1", "v")); // the last good rules stay in force
            Assert.Equal(1, host.Status.AppliedCount);
        }

        Assert.Equal("SochDbPolicy:Mode", Assert.Single(host.Status.LastRefusal!.Errors).Path);
        Assert.Equal(broken.Length, host.Logs.GetSnapshot().Count(r => r.Id.Id == 1202));
    }

    [Fact]
    public void A_mode_change_on_reload_needs_a_restart_and_is_not_claimed_applied()
    {
        using var host = new JsonPolicyHost(Section($"\"Mode\": \"Enforce\", \"Rules\": [ {DenyA} ]"));
        PolicyEngine engine = host.Engine;

        host.Rewrite(Section($"\"Mode\": \"Shadow\", \"Rules\": [ {DenyA}, {DenyA.Replace("a/*", "b/*", StringComparison.Ordinal)} ]"));

        Assert.Equal(2, host.Status.AppliedCount); // the rules of the new file are in force ...
        Assert.Throws<PolicyViolationException>(() => engine.Put("b/1", "v"));
        Assert.Throws<PolicyViolationException>(() => engine.Put("a/1", "v")); // ... and the engine still enforces
        string pending = Assert.Single(host.Status.PendingRestart);
        Assert.Contains("SochDbPolicy:Mode is Shadow in the configuration but the engine runs in Enforce", pending, StringComparison.Ordinal);
        Assert.Contains("needs a restart", pending, StringComparison.Ordinal);
        FakeLogRecord warning = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id == 1204);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("SochDbPolicy:Mode", warning.Message, StringComparison.Ordinal);

        host.Rewrite(Section($"\"Mode\": \"enforce\", \"Rules\": [ {DenyA} ]"));

        Assert.Empty(host.Status.PendingRestart);
        Assert.Equal(3, host.Status.AppliedCount);
    }

    [Fact]
    public void Other_start_up_settings_changed_on_reload_are_named()
    {
        using var host = new JsonPolicyHost(Section("\"Rules\": []"));
        _ = host.Engine;

        host.Rewrite("""{ "SochDbPolicy": { "Store": { "InMemory": true }, "MaxNestingDepth": 4, "Rules": [] } }""");

        Assert.Equal("SochDbPolicy:MaxNestingDepth changed: it is read at start-up, so the change needs a restart", Assert.Single(host.Status.PendingRestart));
    }

    [Fact]
    public void Every_option_has_a_described_shape()
    {
        // A new options property of a type the shape check cannot describe by itself would be left unchecked.
        Assert.Empty(ConfigurationShapeCheck.Section.UncheckedPaths());
        Assert.Equal(
            ["Audit", "MaxNestingDepth", "Mode", "RateLimits", "Rules", "Store"],
            ConfigurationShapeCheck.Section.Members!.Keys.Order(StringComparer.Ordinal));
    }
}

/// <summary>The engine over a real JSON file (JSON file provider); <see cref="Rewrite"/> writes the file and reloads it.</summary>
internal sealed class JsonPolicyHost : IDisposable
{
    private readonly string _directory;
    private readonly IConfigurationRoot _root;

    public JsonPolicyHost(string json)
    {
        _directory = Directory.CreateTempSubdirectory("sochdb-strict-").FullName;
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), json);
        _root = new ConfigurationBuilder()
            .AddJsonFile(source =>
            {
                source.Path = "appsettings.json";
                source.FileProvider = new PhysicalFileProvider(_directory);
                source.ReloadOnChange = false; // reloaded by Rewrite, so no test waits on a file watcher
            })
            .Build();
        var services = new ServiceCollection();
        services.AddFakeLogging();
        services.AddSochDbPolicy(_root.GetSection("SochDbPolicy"));
        Services = services.BuildServiceProvider();
    }

    public ServiceProvider Services { get; }

    public PolicyEngine Engine => Services.GetRequiredService<PolicyEngine>();

    public PolicyConfigurationStatus Status => Services.GetRequiredService<PolicyConfigurationStatus>();

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public static PolicyConfigurationException Refusal(string json)
    {
        using var host = new JsonPolicyHost(json);
        return Assert.Throws<PolicyConfigurationException>(() => host.Engine);
    }

    public void Rewrite(string json)
    {
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), json);
        // The provider reads the file again and raises one change, as its file watcher would (the root's Reload() would
        // raise a second one of its own).
        Assert.IsAssignableFrom<FileConfigurationProvider>(Assert.Single(_root.Providers)).Load();
    }

    public void Dispose()
    {
        Services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
