using System;
using System.IO;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace SochDb.Policy.Dashboard;

/// <summary>Maps the policy dashboard: <c>app.MapPolicyDashboard("/policy", engine, o => o.AuthorizationPolicy = "approvers")</c>.</summary>
public static class PolicyDashboardEndpoints
{
    private const string Html = "text/html; charset=utf-8";

    /// <summary>
    /// Maps the dashboard's pages under <paramref name="prefix"/>: pending approvals (<c>/</c>), the decision log
    /// (<c>/log</c>, <c>/log/verify</c>), rules (<c>/rules</c>), rate limits (<c>/limits</c>), its stylesheet, and the one
    /// form that decides an approval (<c>POST /approvals/decide</c>). Every page requires
    /// <see cref="PolicyDashboardOptions.AuthorizationPolicy"/> (or, when the host opts in, a request from this machine),
    /// every response carries a Content-Security-Policy without script, and the form is checked for an antiforgery token:
    /// the host calls <c>builder.Services.AddAntiforgery()</c> (a POST without a valid token gets 400).
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="prefix">Where the dashboard lives, for example <c>/policy</c>.</param>
    /// <param name="engine">The engine to show and to approve through; null: the <see cref="PolicyEngine"/> registered as a service.</param>
    /// <param name="configure">Sets the options; the authorization policy (or local-only anonymous access) is required.</param>
    /// <returns>The endpoint group, for more conventions.</returns>
    /// <exception cref="InvalidOperationException">Neither an authorization policy nor local-only anonymous access was chosen, or no engine was found.</exception>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> does not start with '/'.</exception>
    public static RouteGroupBuilder MapPolicyDashboard(this IEndpointRouteBuilder endpoints, string prefix, PolicyEngine? engine = null,
        Action<PolicyDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (!prefix.StartsWith('/'))
        {
            throw new ArgumentException($"The dashboard prefix \"{prefix}\" must start with '/'.", nameof(prefix));
        }

        var options = new PolicyDashboardOptions();
        configure?.Invoke(options);
        options.Validate();
        engine ??= endpoints.ServiceProvider.GetService<PolicyEngine>()
            ?? throw new InvalidOperationException("MapPolicyDashboard needs an engine: pass one, or register a PolicyEngine as a service.");

        string root = prefix.TrimEnd('/');
        var decisions = new DecisionSource(engine, options.DecisionLog is null ? null : AuditLedger.Of(options.DecisionLog)) 
        {
            ViewBudget = options.ViewBudget,
            SliceEntries = options.SliceEntries,
            SearchWindow = options.SearchWindow,
        };
        decisions.StartTally();
        var pages = new DashboardPages(engine, options, decisions, root);

        RouteGroupBuilder group = endpoints.MapGroup(root.Length == 0 ? "/" : root);
        if (!string.IsNullOrWhiteSpace(options.AuthorizationPolicy))
        {
            group.RequireAuthorization(options.AuthorizationPolicy);
        }
        else
        {
            group.AddEndpointFilter(static async (invocation, next) =>
                IsLoopback(invocation.HttpContext) ? await next(invocation).ConfigureAwait(false) : Results.StatusCode(StatusCodes.Status403Forbidden));
        }

        group.AddEndpointFilter(static async (invocation, next) =>
        {
            IHeaderDictionary headers = invocation.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            return await next(invocation).ConfigureAwait(false);
        });

        group.MapGet("/", async (HttpContext context, IAntiforgery antiforgery, string? outcome, string? id) =>
            Results.Content(await pages.Approvals(context, antiforgery, outcome, id).ConfigureAwait(false), Html));
        group.MapPost("/approvals/decide", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            // Checked here, whatever middleware the host runs: a form without a valid token is a 400 and decides nothing.
            if (!context.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
            {
                return Results.BadRequest("The form's antiforgery token is missing or invalid: reload the page and try again.");
            }

            IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            return await Decide(engine, root, form["id"], form["decision"], form["reason"], context).ConfigureAwait(false);
        });
        group.MapGet("/log", (string? agent, string? result, string? rule, string? from, string? to, string? before) =>
            Results.Content(pages.Log(LogFilters.Parse(agent, result, rule, from, to, before)), Html));
        group.MapGet("/log/verify", () => Results.Content(pages.Verification(), Html));
        group.MapGet("/rules", () => Results.Content(pages.Rules(), Html));
        group.MapGet("/limits", () => Results.Content(pages.Limits(), Html));
        group.MapGet("/dashboard.css", () => Results.Text(DashboardCss.Text, "text/css; charset=utf-8"));
        return group;
    }

    private static async Task<IResult> Decide(PolicyEngine engine, string root, string? id, string? decision, string? reason, HttpContext context)
    {
        string who = context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : "anonymous (local)";
        string outcome;
        if (string.IsNullOrEmpty(id) || decision is not ("approve" or "reject"))
        {
            outcome = Outcomes.BadForm;
        }
        else
        {
            reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Length > 500 ? reason[..500] : reason;
            try
            {
                if (decision == "approve")
                {
                    await engine.Approvals.ApproveAsync(id, who, context.RequestAborted).ConfigureAwait(false);
                    outcome = Outcomes.Approved;
                }
                else
                {
                    await engine.Approvals.RejectAsync(id, reason, who, context.RequestAborted).ConfigureAwait(false);
                    outcome = Outcomes.Rejected;
                }
            }
            catch (ApprovalNotPendingException refused)
            {
                outcome = Outcomes.NotPending(refused.State);
            }
            catch (PolicyViolationException refused)
            {
                outcome = refused.Cause == PolicyRefusalCause.RateLimited ? Outcomes.RateLimited : Outcomes.Refused;
            }
            catch (IOException)
            {
                outcome = Outcomes.StoreUnavailable;
            }
        }

        // Post/redirect/get: a reload does not send the form again. The id is echoed only when it is one the engine could have issued.
        string link = $"{root}/?outcome={outcome}";
        if (id is { Length: 32 } && IsHex(id))
        {
            link += "&id=" + id;
        }

        return Results.Redirect(link.StartsWith("//", StringComparison.Ordinal) ? link[1..] : link, permanent: false, preserveMethod: false);
    }

    private static bool IsHex(string text)
    {
        foreach (char c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLoopback(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);
}
