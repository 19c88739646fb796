using System;
using System.CommandLine;
using System.IO;
using SochDb.Policy.Tool.Audit;
using SochDb.Policy.Tool.Check;

namespace SochDb.Policy.Tool;

/// <summary>The commands and their options (docs/cli.md).</summary>
internal static class Commands
{
    public const string DefaultSection = "SochDbPolicy";

    /// <summary>Exit code of a command that could not run: a missing file, an unreadable log.</summary>
    public const int CannotRun = 3;

    public static Command Check()
    {
        var file = new Argument<FileInfo>("appsettings.json") { Description = "The JSON configuration file." };
        var section = new Option<string>("--section") { Description = "The policy section's path in the file.", DefaultValueFactory = _ => DefaultSection };
        var format = new Option<string>("--format") { Description = "text (default) or sarif (SARIF 2.1.0, for code scanning).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "sarif");
        var command = new Command("check",
            "Loads the policy section as AddSochDbPolicy does and reports every error and analysis finding. Exit code: 0 clean, 1 errors, 2 warnings only.")
        {
            file, section, format,
        };
        command.SetAction(parse =>
        {
            FileInfo input = parse.GetValue(file)!;
            if (!input.Exists)
            {
                return CannotRunBecause($"no such file: {input.FullName}");
            }

            CheckReport report = ConfigurationCheck.Run(input.ToString(), parse.GetValue(section)!);
            if (parse.GetValue(format) == "sarif")
            {
                SarifWriter.Write(report, Console.Out);
            }
            else
            {
                TextReport.Write(report, Console.Out);
            }

            return report.ExitCode;
        });
        return command;
    }

    public static Command Explain()
    {
        var file = new Argument<FileInfo>("appsettings.json") { Description = "The JSON configuration file." };
        var key = new Argument<string>("key") { Description = "The key the operation is on." };
        var operation = new Option<string>("--operation", "-o") { Description = "read, write or delete.", DefaultValueFactory = _ => "write" };
        operation.AcceptOnlyFromAmong("read", "write", "delete");
        var agent = new Option<string?>("--agent", "-a") { Description = "The caller's agent id." };
        var session = new Option<string?>("--session") { Description = "The caller's session id." };
        var item = new Option<string[]>("--item") { Description = "A context item NAME=VALUE (repeatable).", AllowMultipleArgumentsPerToken = false };
        var value = new Option<string?>("--value") { Description = "The value written (write) or read (read), as UTF-8 text." };
        var section = new Option<string>("--section") { Description = "The policy section's path in the file.", DefaultValueFactory = _ => DefaultSection };
        var command = new Command("explain",
            "Explains what the configured rules and limits decide for one operation: the verdict, the deciding rule, every matching rule and limit. Writes nothing.")
        {
            file, key, operation, agent, session, item, value, section,
        };
        command.SetAction(parse =>
        {
            FileInfo input = parse.GetValue(file)!;
            if (!input.Exists)
            {
                return CannotRunBecause($"no such file: {input.FullName}");
            }

            return ExplainCommand.Run(input.ToString(), parse.GetValue(section)!, parse.GetValue(operation)!, parse.GetValue(key)!,
                parse.GetValue(agent), parse.GetValue(session), parse.GetValue(item) ?? [], parse.GetValue(value), Console.Out, Console.Error);
        });
        return command;
    }

    public static Command Audit()
    {
        var command = new Command("audit", "Reads a SQLite decision log offline (the file of SqliteAuditSink or Audit:LedgerPath).")
        {
            AuditCommands.Verify(),
            AuditCommands.Query(),
            AuditCommands.Export(),
        };
        return command;
    }

    public static int CannotRunBecause(string message)
    {
        Console.Error.WriteLine($"sochdb-policy: {message}");
        return CannotRun;
    }
}
