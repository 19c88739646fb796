using Microsoft.Extensions.Logging;

namespace SochDb.Policy.Hosting;

/// <summary>The hosting package's log messages (generated, so logging allocates nothing when the level is off).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Information,
        Message = "Policy configuration applied: {RuleCount} rules, {LimitCount} rate limits (configuration #{Generation})")]
    public static partial void ConfigurationApplied(ILogger logger, int ruleCount, int limitCount, long generation);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning,
        Message = "Policy configuration applied except for settings read only at start-up, which need a restart: {Settings}")]
    public static partial void ConfigurationNeedsRestart(ILogger logger, string settings);

    // Logged without the exception: a refusal is the operator's edit, not a fault in the code, so its stack trace says
    // nothing; the message names every wrong entry (and PolicyConfigurationStatus.LastRefusal keeps the details).
    [LoggerMessage(EventId = 1202, Level = LogLevel.Error,
        Message = "Policy configuration refused; the last good configuration stays in force. {Errors}")]
    public static partial void ConfigurationRefused(ILogger logger, string errors);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning,
        Message = "Policy configuration applied with a finding: {FindingId} {Finding}")]
    public static partial void AnalysisFinding(ILogger logger, string findingId, string finding);
}
