using System;
using Microsoft.Extensions.Logging;

namespace SochDb.Policy.Hosting.Logging;

/// <summary>
/// An <see cref="IAuditAnchor"/> that logs each published head of the durable log as a structured event (event 1103
/// <c>PolicyAuditHead</c>, Information, fields <c>HeadId</c> and <c>HeadHash</c>). Shipped to a log store the log's
/// database cannot write (a collector, another team's system), the events keep the head where a rewrite of the
/// database cannot reach it; pass the newest one to <see cref="AuditLedger.Verify(AuditHead)"/>.
/// </summary>
public sealed class LoggerAuditAnchor : IAuditAnchor
{
    /// <summary>The logger category used by <see cref="LoggerAuditAnchor(ILoggerFactory)"/>.</summary>
    public const string Category = "SochDb.Policy.Audit.Head";

    private readonly ILogger _logger;

    /// <summary>Logs heads to <paramref name="logger"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="logger"/> is null.</exception>
    public LoggerAuditAnchor(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <summary>Logs heads to a logger of category <see cref="Category"/> from <paramref name="factory"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is null.</exception>
    public LoggerAuditAnchor(ILoggerFactory factory)
        : this((factory ?? throw new ArgumentNullException(nameof(factory))).CreateLogger(Category))
    {
    }

    /// <inheritdoc />
    public void Publish(AuditHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        AuditLogMessages.Head(_logger, head.Id, Convert.ToHexStringLower(head.Hash));
    }
}
