using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace SochDb.Policy.Hosting.Logging;

/// <summary>
/// Exports every audit entry to an <see cref="ILogger"/> as a structured event (through <c>LoggerMessage</c>-generated
/// methods, so nothing is formatted unless the level is enabled). With an OpenTelemetry logging provider, entries
/// reach any collector. Levels: allowed, modified and retention records are <see cref="LogLevel.Information"/>; denied, rate limited,
/// would-deny and approval-required are <see cref="LogLevel.Warning"/>; failed and gap records are <see cref="LogLevel.Error"/>.
/// </summary>
/// <remarks>
/// Not durable: a logger that throws is counted and reported by the engine, and that batch is skipped for this sink.
/// Keys arrive already masked where a mask pattern matches; values are never part of an entry.
/// </remarks>
public sealed class LoggerAuditSink : AuditSink
{
    /// <summary>The logger category used by <see cref="LoggerAuditSink(ILoggerFactory)"/>.</summary>
    public const string Category = "SochDb.Policy.Audit";

    private readonly ILogger _logger;

    /// <summary>Exports to <paramref name="logger"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="logger"/> is null.</exception>
    public LoggerAuditSink(ILogger logger, string name = "logger")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <summary>Exports to a logger of category <see cref="Category"/> from <paramref name="factory"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is null.</exception>
    public LoggerAuditSink(ILoggerFactory factory)
        : this((factory ?? throw new ArgumentNullException(nameof(factory))).CreateLogger(Category))
    {
    }

    /// <inheritdoc />
    public override void Write(IReadOnlyList<AuditEntry> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (AuditEntry entry in batch)
        {
            if (entry.Result == AuditResult.EntriesDropped)
            {
                AuditLogMessages.EntriesDropped(_logger, entry.Reason, entry.Timestamp);
                continue;
            }

            AuditLogMessages.Decision(_logger, LevelOf(entry.Result), AuditNames.Of(entry.Operation), entry.Key,
                AuditNames.Of(entry.Result), entry.Rule, entry.Reason, entry.AgentId, entry.SessionId, entry.TraceId, entry.SpanId,
                entry.IsKeyMasked, entry.Timestamp);
        }
    }

    /// <summary>The level an entry with <paramref name="result"/> is logged at.</summary>
    public static LogLevel LevelOf(AuditResult result) => result switch
    {
        AuditResult.Allowed or AuditResult.Modified or AuditResult.EntriesRemoved => LogLevel.Information,
        AuditResult.Denied or AuditResult.RateLimited or AuditResult.WouldDeny or AuditResult.ApprovalRequired => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}
