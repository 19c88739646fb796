using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace SochDb.Policy.Dashboard;

/// <summary>The log page's query string, parsed: bad values are reported on the page and ignored, never thrown.</summary>
internal sealed class LogFilters
{
    private LogFilters()
    {
    }

    public string? Agent { get; private init; }

    public AuditResult? Result { get; private init; }

    public string? Rule { get; private init; }

    public string? FromText { get; private init; }

    public string? ToText { get; private init; }

    public long? Before { get; private init; }

    public AuditQuery Query { get; private init; } = AuditQuery.All;

    public List<string> Problems { get; } = [];

    public static LogFilters Parse(string? agent, string? result, string? rule, string? from, string? to, string? before)
    {
        var problems = new List<string>();
        AuditResult? parsedResult = null;
        if (!string.IsNullOrEmpty(result))
        {
            foreach (AuditResult candidate in Enum.GetValues<AuditResult>())
            {
                if (string.Equals(candidate.ToString(), result, StringComparison.OrdinalIgnoreCase))
                {
                    parsedResult = candidate;
                }
            }

            if (parsedResult is null)
            {
                problems.Add($"result: \"{result}\" is not a result; ignored.");
            }
        }

        DateTimeOffset? fromTime = Time("from", from, problems);
        DateTimeOffset? toTime = Time("to", to, problems);
        if (fromTime is { } f && toTime is { } t && t < f)
        {
            problems.Add("to: before from; ignored.");
            toTime = null;
        }

        long? beforeId = null;
        if (!string.IsNullOrEmpty(before))
        {
            if (long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                beforeId = id;
            }
            else
            {
                problems.Add($"before: \"{before}\" is not an entry id; ignored.");
            }
        }

        var filters = new LogFilters
        {
            Agent = Empty(agent),
            Result = parsedResult,
            Rule = Empty(rule),
            FromText = from,
            ToText = to,
            Before = beforeId,
            Query = new AuditQuery { AgentId = Empty(agent), Result = parsedResult, Rule = Empty(rule), From = fromTime, To = toTime },
        };
        filters.Problems.AddRange(problems);
        return filters;
    }

    /// <summary>The link to the page of entries older than <paramref name="before"/>, with these filters.</summary>
    public string LinkBefore(string path, long before)
    {
        var link = new StringBuilder(path).Append("?before=").Append(before.ToString(CultureInfo.InvariantCulture));
        Add(link, "agent", Agent);
        Add(link, "result", Result?.ToString());
        Add(link, "rule", Rule);
        Add(link, "from", FromText);
        Add(link, "to", ToText);
        return link.ToString();
    }

    private static void Add(StringBuilder link, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            link.Append('&').Append(name).Append('=').Append(UrlEncoder.Default.Encode(value));
        }
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static DateTimeOffset? Time(string name, string? text, List<string> problems)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time))
        {
            return time;
        }

        problems.Add($"{name}: \"{text}\" is not a date and time (for example 2026-12-06T08:00); ignored.");
        return null;
    }
}
