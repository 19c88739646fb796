using System.IO;

namespace SochDb.Policy.Tool.Check;

/// <summary>A <see cref="CheckReport"/> as compiler-style lines (<c>file(line,column): error ID: message</c>) and a summary.</summary>
internal static class TextReport
{
    public static void Write(CheckReport report, TextWriter output)
    {
        foreach (Finding finding in report.Findings)
        {
            string level = finding.Level switch
            {
                FindingLevel.Error => "error",
                FindingLevel.Warning => "warning",
                _ => "info",
            };
            output.WriteLine($"{report.File}({finding.Span.StartLine},{finding.Span.StartColumn}): {level} {finding.RuleId}: {finding.Message}");
        }

        int notes = report.Findings.Count - report.Errors - report.Warnings;
        output.WriteLine(report.Errors > 0
            ? $"{report.File}: {Count(report.Errors, "error")}, {Count(report.Warnings, "warning")}, {Count(notes, "note")}: the configuration is refused."
            : $"{report.File}: {Count(report.RuleCount, "rule")}, {Count(report.Warnings, "warning")}, {Count(notes, "note")}.");
    }

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
