using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Dashboard;

/// <summary>Renders the four pages. Every value goes through <see cref="HtmlWriter.Text"/> (encoded).</summary>
internal sealed class DashboardPages
{
    private readonly PolicyEngine _engine;
    private readonly PolicyDashboardOptions _options;
    private readonly DecisionSource _decisions;
    private readonly string _prefix;

    public DashboardPages(PolicyEngine engine, PolicyDashboardOptions options, DecisionSource decisions, string prefix)
    {
        _engine = engine;
        _options = options;
        _decisions = decisions;
        _prefix = prefix;
    }

    public async Task<string> Approvals(HttpContext context, IAntiforgery antiforgery, string? outcome, string? id)
    {
        HtmlWriter html = Begin("Pending approvals", "approvals");
        if (Outcomes.Describe(outcome) is { } said)
        {
            html.Markup("<p class=\"notice").Markup(said.Bad ? " bad" : "").Markup("\" role=\"status\">").Text(said.Text);
            if (!string.IsNullOrEmpty(id))
            {
                html.Markup(" <span class=\"muted\">(approval ").Text(id).Markup(")</span>");
            }

            html.Markup("</p>");
        }

        IReadOnlyList<ApprovalRequest> pending = await _engine.Approvals.ListPendingAsync(context.RequestAborted).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            return End(html.Markup("<p class=\"empty\" id=\"no-pending\">Nothing is waiting for approval.</p>"));
        }

        AntiforgeryTokenSet tokens = antiforgery.GetAndStoreTokens(context);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        html.Markup("<table id=\"pending\"><thead><tr><th>Operation</th><th>Key</th><th>Agent</th><th>Rule</th><th>Reason</th>")
            .Markup("<th>Age</th><th>Value (preview)</th><th>Decision</th></tr></thead><tbody>");
        foreach (ApprovalRequest request in pending)
        {
            string key = _engine.Approvals.KeyForDisplay(request);
            bool masked = !string.Equals(key, request.Key, StringComparison.Ordinal);
            html.Markup("<tr").Attribute("data-approval", request.Id).Markup(">")
                .Cell(Operation(request.Operation))
                .Cell(key, "key")
                .Cell(request.AgentId ?? "(none)")
                .Cell(request.Rule?.ToString(), "mono")
                .Cell(request.Reason)
                .Cell(Age(now - request.CreatedAt))
                .Cell(Preview(request, masked), "preview")
                .Markup("<td><form class=\"decide\" method=\"post\"").Attribute("action", _prefix + "/approvals/decide").Markup(">")
                .Markup("<input type=\"hidden\"").Attribute("name", tokens.FormFieldName).Attribute("value", tokens.RequestToken).Markup(">")
                .Markup("<input type=\"hidden\" name=\"id\"").Attribute("value", request.Id).Markup(">")
                .Markup("<input type=\"text\" name=\"reason\" placeholder=\"reason\" maxlength=\"500\" aria-label=\"reason\">")
                .Markup("<button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>")
                .Markup("<button class=\"reject\" type=\"submit\" name=\"decision\" value=\"reject\">Reject</button>")
                .Markup("</form></td></tr>");
        }

        return End(html.Markup("</tbody></table>"));
    }

    public string Log(LogFilters filters)
    {
        HtmlWriter html = Begin("Decision log", "log");
        html.Markup("<form class=\"filters\" method=\"get\"").Attribute("action", _prefix + "/log").Markup(">")
            .Markup("<label>Agent<input type=\"text\" name=\"agent\"").Attribute("value", filters.Agent).Markup("></label>")
            .Markup("<label>Result<select name=\"result\"><option value=\"\">any</option>");
        foreach (AuditResult result in Enum.GetValues<AuditResult>())
        {
            string name = result.ToString();
            html.Markup("<option").Attribute("value", name).Markup(filters.Result == result ? " selected" : "").Markup(">").Text(name).Markup("</option>");
        }

        html.Markup("</select></label>")
            .Markup("<label>Rule<input type=\"text\" name=\"rule\"").Attribute("value", filters.Rule).Markup("></label>")
            .Markup("<label>From (UTC)<input type=\"text\" name=\"from\" placeholder=\"2026-12-06T08:00\"").Attribute("value", filters.FromText).Markup("></label>")
            .Markup("<label>To (UTC)<input type=\"text\" name=\"to\"").Attribute("value", filters.ToText).Markup("></label>")
            .Markup("<button type=\"submit\">Filter</button></form>");
        if (_decisions.IsDurable)
        {
            html.Markup("<form method=\"get\"").Attribute("action", _prefix + "/log/verify").Markup("><button type=\"submit\" id=\"verify\">Verify the chain</button></form>");
        }
        else
        {
            html.Markup("<p class=\"muted\">No durable decision log is configured: showing the engine's in-memory ring of recent entries.</p>");
        }

        foreach (string problem in filters.Problems)
        {
            html.Markup("<p class=\"notice bad\">").Text(problem).Markup("</p>");
        }

        (IReadOnlyList<AuditRecord> records, long? next, (long From, long To)? searched) = _decisions.Page(filters.Query, filters.Before, _options.PageSize);
        if (searched is { } window)
        {
            html.Markup("<p class=\"muted\" id=\"searched\">Searched entries #").Text(window.From.ToString(CultureInfo.InvariantCulture))
                .Markup(" to #").Text(window.To.ToString(CultureInfo.InvariantCulture))
                .Markup(next is null ? "." : " (a filtered page searches a window of the log at a time).").Markup("</p>");
        }

        if (records.Count == 0)
        {
            html.Markup("<p class=\"empty\">No entries match").Markup(searched is null || next is null ? "." : " in this window.").Markup("</p>");
            return End(AppendOlder(html, filters, next, searched is null ? "Older entries" : "Search older entries"));
        }

        html.Markup("<table id=\"log\"><thead><tr><th>#</th><th>Time (UTC)</th><th>Operation</th><th>Key</th><th>Result</th><th>Agent</th>")
            .Markup("<th>Rule</th><th>Reason</th></tr></thead><tbody>");
        foreach (AuditRecord record in records)
        {
            AuditEntry entry = record.Entry;
            html.Markup("<tr>").Cell(record.Id.ToString(CultureInfo.InvariantCulture), "mono")
                .Cell(entry.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), "mono")
                .Cell(Operation(entry.Operation))
                .Cell(entry.Key, "key")
                .Cell(entry.Result.ToString(), "result-" + entry.Result.ToString().ToLowerInvariant())
                .Cell(entry.AgentId)
                .Cell(entry.Rule, "mono")
                .Cell(entry.Reason)
                .Markup("</tr>");
        }

        html.Markup("</tbody></table>");
        return End(AppendOlder(html, filters, next, searched is null ? "Older entries" : "Search older entries"));
    }

    private HtmlWriter AppendOlder(HtmlWriter html, LogFilters filters, long? next, string label) => next is { } after
        ? html.Markup("<p class=\"pager\"><a id=\"older\"").Attribute("href", filters.LinkBefore(_prefix + "/log", after)).Markup(">").Text(label).Markup("</a></p>")
        : html;

    public string Verification()
    {
        HtmlWriter html = Begin("Decision log: verification", "log");
        VerifyProgress? progress = _decisions.Verify();
        if (progress is null)
        {
            return End(html.Markup("<p class=\"notice bad\">No durable decision log is configured, so there is no chain to verify.</p>"));
        }

        AuditVerification? result = progress.Result;
        string state = result is null ? "intact so far" : result.IsIntact ? "intact" : "BROKEN";
        string from = "#" + (progress.CheckpointId + 1).ToString(CultureInfo.InvariantCulture);
        string through = progress.VerifiedThroughId > progress.CheckpointId ? "#" + progress.VerifiedThroughId.ToString(CultureInfo.InvariantCulture) : "nothing yet";
        html.Markup("<table id=\"verification\"><tbody>")
            .Markup("<tr><th>Result</th>").Cell(state, result is { IsIntact: false } ? "result-denied" : "result-allowed").Markup("</tr>")
            .Markup("<tr><th>Pass</th>").Cell(progress.Pass.ToString(CultureInfo.InvariantCulture)).Markup("</tr>")
            .Markup("<tr><th>Verified</th>").Cell(from + " to " + through, "mono").Markup("</tr>")
            .Markup("<tr><th>Entries checked</th>").Cell(progress.Checked.ToString(CultureInfo.InvariantCulture) + " (this view: "
                + progress.CheckedThisView.ToString(CultureInfo.InvariantCulture) + ")").Markup("</tr>")
            .Markup("<tr><th>Newest entry</th>").Cell("#" + progress.NewestId.ToString(CultureInfo.InvariantCulture), "mono").Markup("</tr>")
            .Markup("<tr><th>Head</th>").Cell(result is { IsIntact: true }
                ? "#" + result.HeadId.ToString(CultureInfo.InvariantCulture) + " " + Convert.ToHexStringLower(result.HeadHash)
                : "not reached yet", "mono").Markup("</tr>")
            .Markup("<tr><th>First broken entry</th>").Cell(result?.FirstBrokenId is { } broken ? "#" + broken.ToString(CultureInfo.InvariantCulture) : "none", "mono").Markup("</tr>")
            .Markup("<tr><th>Problem</th>").Cell(result?.Problem ?? "none").Markup("</tr>")
            .Markup("</tbody></table>");
        if (progress.Restarted)
        {
            html.Markup("<p class=\"notice bad\">The log's retention checkpoint went back during this pass (was the log replaced?): the next view starts a new pass.</p>");
        }

        if (result is null)
        {
            html.Markup("<p class=\"notice\">Each view verifies a bounded slice of the chain; this pass goes on from the last entry it verified.</p>")
                .Markup("<form method=\"get\"").Attribute("action", _prefix + "/log/verify").Markup("><button type=\"submit\" id=\"verify-continue\">Continue verifying</button></form>");
        }
        else
        {
            html.Markup("<p class=\"muted\">").Text(result.IsIntact
                    ? "The next view starts a new pass from the first entry, anchored at this head."
                    : "The next view starts a new pass from the first entry.").Markup("</p>")
                .Markup("<form method=\"get\"").Attribute("action", _prefix + "/log/verify").Markup("><button type=\"submit\" id=\"verify-again\">Verify again</button></form>");
        }

        return End(html);
    }

    public string Rules()
    {
        HtmlWriter html = Begin("Rules", "rules");
        (IReadOnlyDictionary<string, RuleCounts> counts, bool behind) = _decisions.Tally();
        html.Markup("<p class=\"muted\">Counts are decisions that named the rule since this dashboard started (")
            .Text(_decisions.Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))
            .Markup(" UTC), read from the decision log. A Shadow rule's \"would deny\" is what switching it to Enforce would have refused.</p>");
        if (behind)
        {
            html.Markup("<p class=\"notice\">The log grew faster than one view counts; reload to count the rest.</p>");
        }

        html.Markup("<table id=\"rules\"><thead><tr><th>Trigger</th><th>Pattern</th><th>Handler</th><th>Mode</th><th>From</th>")
            .Markup("<th>Hits</th><th>Denied</th><th>Would deny</th></tr></thead><tbody>");
        foreach (PolicyRuleInfo rule in _engine.Rules)
        {
            counts.TryGetValue(rule.ToString(), out RuleCounts count);
            html.Markup("<tr>").Cell(rule.Trigger.ToString()).Cell(rule.Pattern, "mono").Cell(rule.HandlerName, "mono").Cell(rule.Mode.ToString())
                .Cell(SourceOf(rule))
                .Cell(count.Hits.ToString(CultureInfo.InvariantCulture))
                .Cell(count.Denied.ToString(CultureInfo.InvariantCulture))
                .Cell(count.WouldDeny.ToString(CultureInfo.InvariantCulture))
                .Markup("</tr>");
        }

        return End(html.Markup("</tbody></table>"));
    }

    public string Limits()
    {
        HtmlWriter html = Begin("Rate limits: busiest scopes", "limits");
        IReadOnlyList<LimitExplanation> busiest = _engine.BusiestLimits(50);
        if (busiest.Count == 0)
        {
            return End(html.Markup("<p class=\"empty\">Every bucket is full: no scope has used any of its tokens recently.</p>"));
        }

        html.Markup("<table id=\"limits\"><thead><tr><th>Limit</th><th>Scope value</th><th>Tokens left</th><th>Next token in</th></tr></thead><tbody>");
        foreach (LimitExplanation limit in busiest)
        {
            html.Markup("<tr>").Cell(limit.Limit.ToString(), "mono").Cell(limit.ScopeValue ?? "(everyone)")
                .Cell(limit.TokensLeft.ToString(CultureInfo.InvariantCulture) + " / " + limit.Limit.MaxPerMinute.ToString(CultureInfo.InvariantCulture))
                .Cell(limit.RetryAfter == TimeSpan.Zero ? "now" : limit.RetryAfter.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s")
                .Markup("</tr>");
        }

        return End(html.Markup("</tbody></table>"));
    }

    private string SourceOf(PolicyRuleInfo rule)
    {
        foreach (CompiledPolicySet set in _engine.CompiledSets)
        {
            foreach (PolicyRuleInfo compiled in set.Rules)
            {
                if (ReferenceEquals(compiled, rule))
                {
                    return "compiled: " + set.Name;
                }
            }
        }

        return "run time / configuration";
    }

    private string? Preview(ApprovalRequest request, bool masked)
    {
        if (request.Operation != PolicyOperation.Write)
        {
            return "";
        }

        if (masked)
        {
            return "(hidden: the key is masked)";
        }

        string size = request.ValueLength.GetValueOrDefault().ToString(CultureInfo.InvariantCulture) + " bytes";
        return _options.PreviewBytes == 0 ? size : request.PreviewValue(_options.PreviewBytes) + " (" + size + ")";
    }

    private static string Operation(PolicyOperation operation) => operation switch
    {
        PolicyOperation.Read => "read",
        PolicyOperation.Write => "write",
        PolicyOperation.Delete => "delete",
        _ => "all",
    };

    private static string Age(TimeSpan age) => age.TotalSeconds < 60 ? Math.Max(0, (int)age.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s"
        : age.TotalMinutes < 60 ? ((int)age.TotalMinutes).ToString(CultureInfo.InvariantCulture) + " min"
        : ((int)age.TotalHours).ToString(CultureInfo.InvariantCulture) + " h";

    private HtmlWriter Begin(string title, string current)
    {
        var html = new HtmlWriter();
        html.Markup("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Text(title).Markup(" · SochDb.Policy</title>")
            .Markup("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Markup("<link rel=\"stylesheet\"").Attribute("href", _prefix + "/dashboard.css").Markup("></head><body>")
            .Markup("<header><h1>SochDb.Policy</h1><nav>");
        foreach ((string page, string label, string path) in new[] { ("approvals", "Approvals", "/"), ("log", "Decision log", "/log"), ("rules", "Rules", "/rules"), ("limits", "Limits", "/limits") })
        {
            html.Markup("<a").Attribute("href", _prefix + path).Markup(page == current ? " class=\"current\"" : "").Markup(">").Text(label).Markup("</a>");
        }

        return html.Markup("</nav></header><main><h2>").Text(title).Markup("</h2>");
    }

    private static string End(HtmlWriter html) => html.Markup("</main></body></html>").ToString();
}
