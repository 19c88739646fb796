using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using SochDb.Policy.Tool.Check;

namespace SochDb.Policy.Tool;

/// <summary><c>explain</c>: the engine's <c>Explain</c> of the configured rules for one operation.</summary>
internal static class ExplainCommand
{
    /// <returns>0 when explained; 1 when the file has errors (they are printed instead).</returns>
    public static int Run(string file, string section, string operation, string key, string? agent, string? session,
        IReadOnlyList<string> items, string? value, TextWriter output, TextWriter error)
    {
        PolicyContext context = new() { AgentId = agent, SessionId = session };
        foreach (string item in items)
        {
            int equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error.WriteLine($"sochdb-policy: --item \"{item}\" is not NAME=VALUE");
                return 1;
            }

            context = context.With(item[..equals], item[(equals + 1)..]);
        }

        LoadedPolicyFile loaded = ConfigurationCheck.Load(file, section);
        if (loaded.Snapshot is null)
        {
            TextReport.Write(new CheckReport(file, loaded.Findings, 0), error);
            return 1;
        }

        PolicyOperation op = operation switch
        {
            "read" => PolicyOperation.Read,
            "delete" => PolicyOperation.Delete,
            _ => PolicyOperation.Write,
        };
        using PolicyEngine engine = loaded.CreateEngine();
        PolicyExplanation explanation = engine.Explain(op, key, context, value is null ? null : Encoding.UTF8.GetBytes(value));
        output.WriteLine(explanation.ToString());
        if (explanation.NoRuleMatched)
        {
            output.WriteLine("  (no rule matched: allowed by default)");
        }

        return 0;
    }
}
