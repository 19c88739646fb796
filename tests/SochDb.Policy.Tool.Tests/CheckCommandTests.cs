using System.Text.Json;

namespace SochDb.Policy.Tool.Tests;

/// <summary><c>sochdb-policy check</c> run as a process: exit codes, compiler-style lines, and SARIF for code scanning.</summary>
public sealed class CheckCommandTests
{
    private const string Clean = """
        {
          "SochDbPolicy": {
            "Store": { "Path": "memory.db" },
            "Rules": [
              { "Name": "no-system-root", "Trigger": "BeforeWrite", "Pattern": "system", "Action": "Deny", "Reason": "operators only" },
              { "Name": "no-system", "Trigger": "BeforeWrite", "Pattern": "system/**", "Action": "Deny", "Reason": "operators only" },
              { "Name": "agents-identify", "Trigger": "BeforeWrite", "Pattern": "memory/**", "Action": "RequireAgentId" }
            ],
            "RateLimits": [ { "Operation": "Write", "MaxPerMinute": 600, "Scope": "agent_id" } ]
          }
        }
        """;

    // Three mistakes on known lines: a misspelt field (line 5), an unclosed class (line 6), a misspelt scope (line 8).
    private const string Broken = """
        {
          "SochDbPolicy": {
            "Store": { "Path": "memory.db" },
            "Rules": [
              { "Name": "no-system", "Trigger": "BeforeWrite", "Pattern": "system/**", "Action": "Deny", "Reasn": "ops" },
              { "Trigger": "BeforeWrite", "Pattern": "users/[ab", "Action": "Deny" }
            ],
            "RateLimits": [ { "Operation": "Write", "MaxPerMinute": 5, "Scope": "agentid" } ]
          }
        }
        """;

    [Fact]
    public void A_clean_file_exits_0_and_nothing_is_created()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Clean);

        ToolRun run = ToolProcess.Run(dir.Path, "check", "appsettings.json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("appsettings.json: 3 rules, 0 warnings, 0 notes.", Assert.Single(run.Lines));
        Assert.Equal(["appsettings.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // no store was opened
    }

    [Fact]
    public void Errors_exit_1_each_on_its_line_and_column()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Broken);

        ToolRun run = ToolProcess.Run(dir.Path, "check", "appsettings.json");

        Assert.True(run.ExitCode == 1, run.ToString());
        string[] lines = run.Lines;
        Assert.Equal(4, lines.Length);
        Assert.StartsWith($"appsettings.json({Position(Broken, "\"Reasn\"")}): error SOCHCFG001: SochDbPolicy:Rules:0:Reasn: unknown key \"Reasn\"", lines[0]);
        Assert.Contains("did you mean \"Reason\"", lines[0]);
        // The glob error points at the offending character inside the string: the '['.
        Assert.StartsWith($"appsettings.json({Position(Broken, "[ab")}): error SOCHCFG001: SochDbPolicy:Rules:1.Pattern: invalid glob", lines[1]);
        Assert.StartsWith($"appsettings.json({Position(Broken, "\"agentid\"")}): error SOCHCFG001: SochDbPolicy:RateLimits:0.Scope: unknown scope \"agentid\"", lines[2]);
        Assert.Equal("appsettings.json: 3 errors, 0 warnings, 0 notes: the configuration is refused.", lines[3]);
    }

    [Fact]
    public void Sarif_has_what_code_scanning_requires_and_exact_regions()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Broken);

        ToolRun run = ToolProcess.Run(dir.Path, "check", "appsettings.json", "--format", "sarif");

        Assert.True(run.ExitCode == 1, run.ToString());
        using JsonDocument sarif = JsonDocument.Parse(run.Output);
        JsonElement log = sarif.RootElement;
        Assert.Equal("https://json.schemastore.org/sarif-2.1.0.json", log.GetProperty("$schema").GetString());
        Assert.Equal("2.1.0", log.GetProperty("version").GetString());
        JsonElement sarifRun = Assert.Single(log.GetProperty("runs").EnumerateArray());
        JsonElement driver = sarifRun.GetProperty("tool").GetProperty("driver");
        Assert.Equal("sochdb-policy", driver.GetProperty("name").GetString());
        List<JsonElement> rules = driver.GetProperty("rules").EnumerateArray().ToList();
        Assert.Contains(rules, r => r.GetProperty("id").GetString() == "SOCHCFG001");
        Assert.Contains(rules, r => r.GetProperty("id").GetString() == "SOCH0014");
        foreach (JsonElement rule in rules)
        {
            Assert.False(string.IsNullOrWhiteSpace(rule.GetProperty("id").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(rule.GetProperty("shortDescription").GetProperty("text").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(rule.GetProperty("fullDescription").GetProperty("text").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(rule.GetProperty("help").GetProperty("text").GetString()));
        }

        List<JsonElement> results = sarifRun.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        var fingerprints = new HashSet<string>();
        foreach (JsonElement result in results)
        {
            string ruleId = result.GetProperty("ruleId").GetString()!;
            Assert.Equal(ruleId, rules[result.GetProperty("ruleIndex").GetInt32()].GetProperty("id").GetString());
            Assert.Equal("error", result.GetProperty("level").GetString());
            Assert.False(string.IsNullOrWhiteSpace(result.GetProperty("message").GetProperty("text").GetString()));
            JsonElement location = Assert.Single(result.GetProperty("locations").EnumerateArray()).GetProperty("physicalLocation");
            Assert.Equal("appsettings.json", location.GetProperty("artifactLocation").GetProperty("uri").GetString());
            JsonElement region = location.GetProperty("region");
            foreach (string field in new[] { "startLine", "startColumn", "endLine", "endColumn" })
            {
                Assert.True(region.GetProperty(field).GetInt32() >= 1, field);
            }

            JsonProperty fingerprint = Assert.Single(result.GetProperty("partialFingerprints").EnumerateObject());
            Assert.True(fingerprints.Add(fingerprint.Value.GetString()!), "fingerprints are distinct");
        }

        // The misspelt key: its region is exactly the key "Reasn", quotes included, on line 5.
        JsonElement reasn = results.Single(r => r.GetProperty("message").GetProperty("text").GetString()!.Contains("Reasn", StringComparison.Ordinal))
            .GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
        (int line, int column) = LineColumn(Broken, "\"Reasn\"");
        Assert.Equal(5, line);
        Assert.Equal((line, column, line, column + "\"Reasn\"".Length),
            (reasn.GetProperty("startLine").GetInt32(), reasn.GetProperty("startColumn").GetInt32(), reasn.GetProperty("endLine").GetInt32(), reasn.GetProperty("endColumn").GetInt32()));
    }

    [Fact]
    public void Fingerprints_do_not_move_with_the_lines()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Broken);
        ToolRun before = ToolProcess.Run(dir.Path, "check", "appsettings.json", "--format", "sarif");
        dir.Write("appsettings.json", "\n\n" + Broken.Replace("{ \"Name\": \"no-system\"", "\n      { \"Name\": \"no-system\"", StringComparison.Ordinal));

        ToolRun after = ToolProcess.Run(dir.Path, "check", "appsettings.json", "--format", "sarif");

        Assert.Equal(Fingerprints(before), Fingerprints(after));
        Assert.NotEqual(StartLines(before), StartLines(after));
    }

    private const string Analysed = """
        {
          "SochDbPolicy": {
            "Store": { "InMemory": true },
            "Rules": [
              { "Name": "no-secrets", "Trigger": "BeforeWrite", "Pattern": "secrets/**", "Action": "Deny" },
              { "Name": "owner-needs-agent", "Trigger": "BeforeWrite", "Pattern": "secrets/*/owner", "Action": "RequireAgentId" }
            ]
          }
        }
        """;

    [Fact]
    public void Analysis_warnings_only_exit_2_each_on_its_rule_pattern()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Analysed);

        ToolRun run = ToolProcess.Run(dir.Path, "check", "appsettings.json");
        ToolRun sarif = ToolProcess.Run(dir.Path, "check", "appsettings.json", "--format", "sarif");

        Assert.True(run.ExitCode == 2, run.ToString());
        string[] lines = run.Lines;
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"appsettings.json({Position(Analysed, "\"secrets/**\"")}): info SOCH0016: SochDbPolicy:Rules:0: ", lines[0]);
        Assert.StartsWith($"appsettings.json({Position(Analysed, "\"secrets/*/owner\"")}): warning SOCH0014: SochDbPolicy:Rules:1: ", lines[1]);
        Assert.Contains("no-secrets", lines[1]);
        Assert.Equal("appsettings.json: 2 rules, 1 warning, 1 note.", lines[2]);
        Assert.Equal(2, sarif.ExitCode);
        using JsonDocument log = JsonDocument.Parse(sarif.Output);
        Assert.Equal(["note", "warning"], log.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("level").GetString()));
    }

    [Fact]
    public void Notes_alone_exit_0()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", """
            { "SochDbPolicy": { "Store": { "InMemory": true },
              "Rules": [ { "Name": "no-secrets", "Trigger": "BeforeWrite", "Pattern": "secrets/**", "Action": "Deny" } ] } }
            """);

        ToolRun run = ToolProcess.Run(dir.Path, "check", "appsettings.json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("info SOCH0016", run.Lines[0]);
        Assert.Equal("appsettings.json: 1 rule, 0 warnings, 1 note.", run.Lines[1]);
    }

    [Fact]
    public void A_missing_Rules_is_an_error_on_the_section()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", """
            {
              "SochDbPolicy": {
                "Store": { "InMemory": true },
                "Rule": [ { "Trigger": "BeforeWrite", "Pattern": "a/*", "Action": "Deny" } ]
              }
            }
            """);

        ToolRun run = ToolProcess.Run(dir.Path, "check", "appsettings.json");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("appsettings.json(2,3): error SOCHCFG001: SochDbPolicy:Rules: Rules is missing", run.Output);
        Assert.Contains("appsettings.json(4,5): error SOCHCFG001: SochDbPolicy:Rule: unknown key \"Rule\" in the policy section: did you mean \"Rules\"?", run.Output);
    }

    [Fact]
    public void Another_section_is_checked_with_section()
    {
        using var dir = new TempDirectory();
        const string Json = """{ "Policies": { "Agents": { "Store": { "InMemory": true }, "Rules": [], "Mod": "Shadow" } } }""";
        dir.Write("settings.json", Json);

        ToolRun run = ToolProcess.Run(dir.Path, "check", "settings.json", "--section", "Policies:Agents");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"settings.json({Position(Json, "\"Mod\"")}): error SOCHCFG001: Policies:Agents:Mod: unknown key \"Mod\"", run.Output);
    }

    [Fact]
    public void Engine_options_are_validated_as_at_start_up()
    {
        using var dir = new TempDirectory();
        const string Json = """
            {
              "SochDbPolicy": {
                "Store": { "Path": "x.db" },
                "MaxNestingDepth": 100,
                "Audit": { "MaxEntries": 0 },
                "Rules": []
              }
            }
            """;
        dir.Write("appsettings.json", Json);

        ToolRun run = ToolProcess.Run(dir.Path, "check", "appsettings.json");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"appsettings.json({Position(Json, "\"MaxNestingDepth\"")}): error SOCHCFG003: SochDbPolicy:MaxNestingDepth: The field MaxNestingDepth must be between 1 and 64.", run.Lines);
        Assert.Contains($"appsettings.json({Position(Json, "\"MaxEntries\"")}): error SOCHCFG003: SochDbPolicy:Audit:MaxEntries: The field Audit.MaxEntries must be between 1 and 10000000.", run.Lines);
    }

    [Fact]
    public void Invalid_json_is_reported_at_its_line()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", "{\n  \"SochDbPolicy\": {\n    \"Rules\": [ }\n}\n");

        ToolRun run = ToolProcess.Run(dir.Path, "check", "appsettings.json", "--format", "sarif");

        Assert.True(run.ExitCode == 1, run.ToString());
        using JsonDocument sarif = JsonDocument.Parse(run.Output);
        JsonElement result = Assert.Single(sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray());
        Assert.Equal("SOCHCFG002", result.GetProperty("ruleId").GetString());
        Assert.Equal(3, result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32());
    }

    [Fact]
    public void A_missing_file_exits_3()
    {
        using var dir = new TempDirectory();

        ToolRun run = ToolProcess.Run(dir.Path, "check", "nope.json");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("no such file", run.Error);
    }

    [Fact]
    public void A_file_outside_the_working_directory_is_an_absolute_uri()
    {
        using var dir = new TempDirectory();
        using var elsewhere = new TempDirectory();
        string file = elsewhere.Write("appsettings.json", Broken);

        ToolRun run = ToolProcess.Run(dir.Path, "check", file, "--format", "sarif");

        using JsonDocument sarif = JsonDocument.Parse(run.Output);
        string uri = sarif.RootElement.GetProperty("runs")[0].GetProperty("results")[0].GetProperty("locations")[0]
            .GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString()!;
        Assert.Equal(new Uri(file).AbsoluteUri, uri);
    }

    /// <summary>"line,column" (1-based) of the first occurrence of <paramref name="text"/>, counted independently of the tool.</summary>
    internal static string Position(string json, string text)
    {
        (int line, int column) = LineColumn(json, text);
        return $"{line},{column}";
    }

    internal static (int Line, int Column) LineColumn(string json, string text)
    {
        string[] lines = json.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int at = lines[i].IndexOf(text, StringComparison.Ordinal);
            if (at >= 0)
            {
                return (i + 1, at + 1);
            }
        }

        throw new ArgumentException($"{text} is not in the file");
    }

    private static List<string> Fingerprints(ToolRun run)
    {
        using JsonDocument sarif = JsonDocument.Parse(run.Output);
        return sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("partialFingerprints").EnumerateObject().Single().Value.GetString()!).ToList();
    }

    private static List<int> StartLines(ToolRun run)
    {
        using JsonDocument sarif = JsonDocument.Parse(run.Output);
        return sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32()).ToList();
    }
}
