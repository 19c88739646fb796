namespace SochDb.Policy.Tool.Tests;

/// <summary><c>sochdb-policy explain</c> run as a process: the engine's explanation of the configured rules.</summary>
public sealed class ExplainCommandTests
{
    private const string Settings = """
        {
          "SochDbPolicy": {
            "Store": { "Path": "memory.db" },
            "Rules": [
              { "Name": "no-system", "Trigger": "BeforeWrite", "Pattern": "system/**", "Action": "Deny", "Reason": "operators only" },
              { "Name": "agents-identify", "Trigger": "BeforeWrite", "Pattern": "memory/**", "Action": "RequireAgentId" },
              { "Name": "try-deletes", "Trigger": "BeforeDelete", "Pattern": "memory/**", "Action": "Deny", "Mode": "Shadow" }
            ],
            "RateLimits": [ { "Operation": "Write", "MaxPerMinute": 600, "Scope": "agent_id" } ]
          }
        }
        """;

    [Fact]
    public void A_denied_write_names_the_rule_and_its_reason()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Settings);

        ToolRun run = ToolProcess.Run(dir.Path, "explain", "appsettings.json", "system/prompt", "--operation", "write", "--agent", "planner");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("Write \"system/prompt\": Denied by [BeforeWrite(\"system/**\")] no-system (operators only)", run.Lines[0]);
        Assert.Contains(run.Lines, l => l.StartsWith("Write 600/min per agent_id [planner]: 600 left", StringComparison.Ordinal));
        Assert.Equal(["appsettings.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // nothing written
    }

    [Fact]
    public void The_agent_decides_a_RequireAgentId_rule()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Settings);

        ToolRun anonymous = ToolProcess.Run(dir.Path, "explain", "appsettings.json", "memory/notes", "--operation", "write");
        ToolRun agent = ToolProcess.Run(dir.Path, "explain", "appsettings.json", "memory/notes", "--operation", "write", "--agent", "A");

        Assert.StartsWith("Write \"memory/notes\": Denied by [BeforeWrite(\"memory/**\")] agents-identify", anonymous.Lines[0]);
        Assert.StartsWith("Write \"memory/notes\": Allowed", agent.Lines[0]);
    }

    [Fact]
    public void A_shadow_rule_would_deny_and_no_rule_is_said_so()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Settings);

        ToolRun shadow = ToolProcess.Run(dir.Path, "explain", "appsettings.json", "memory/notes", "--operation", "delete", "--agent", "A");
        ToolRun none = ToolProcess.Run(dir.Path, "explain", "appsettings.json", "other/key", "--operation", "read");

        Assert.StartsWith("Delete \"memory/notes\": WouldDeny", shadow.Lines[0]);
        Assert.Contains("no rule matched", none.Output);
        Assert.Equal(0, none.ExitCode);
    }

    [Fact]
    public void A_file_with_errors_is_not_explained()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Settings.Replace("\"Reason\"", "\"Reasn\"", StringComparison.Ordinal));

        ToolRun run = ToolProcess.Run(dir.Path, "explain", "appsettings.json", "system/prompt", "--agent", "A");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("SochDbPolicy:Rules:0:Reasn: unknown key", run.Error);
        Assert.Empty(run.Output);
    }

    [Fact]
    public void A_missing_option_value_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", Settings);

        ToolRun run = ToolProcess.Run(dir.Path, "explain", "appsettings.json", "k", "--operation", "scan");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("scan", run.Error);
    }
}
