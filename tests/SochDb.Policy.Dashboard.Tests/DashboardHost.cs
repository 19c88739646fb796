using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SochDb;

namespace SochDb.Policy.Dashboard.Tests;

/// <summary>
/// A real Kestrel server on a loopback port serving the dashboard at <c>/policy</c> over an engine on a SQLite file:
/// shared notes need approval, <c>vault/**</c> keys are masked in the log and need approval too, a Shadow rule, a limit.
/// People sign in at <c>/login?user=name</c> (a cookie); the dashboard requires the policy "approvers".
/// </summary>
public sealed partial class DashboardHost : IAsyncDisposable
{
    public const string Secret = "vault/launch-codes";

    private readonly WebApplication _app;

    private DashboardHost(WebApplication app, Database store, PolicyEngine engine, SqliteAuditSink log, string address)
    {
        _app = app;
        Store = store;
        Engine = engine;
        Log = log;
        Address = address;
    }

    public Database Store { get; }

    public PolicyEngine Engine { get; }

    public SqliteAuditSink Log { get; }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Address { get; }

    public static PolicyContext Agent { get; } = new() { AgentId = "agent-7", SessionId = "s1" };

    public static async Task<DashboardHost> StartAsync(bool localAnonymous = false, Action<PolicyDashboardOptions>? tune = null)
    {
        string directory = Directory.CreateTempSubdirectory("sochdb-dashboard-").FullName;
        string path = Path.Combine(directory, "app.db");
        Database store = Database.Open(path);
        SqliteAuditSink log = SqliteAuditSink.Open(path);
        var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions { Sinks = [log], MaskedKeys = ["vault/**"] });
        engine.BeforeWrite("shared/**", static (in PolicyRequest request) =>
            PolicyDecision.RequireApproval("the team sees " + Encoding.UTF8.GetString(request.Key)), "ApproveSharing");
        engine.BeforeWrite("vault/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("vault writes are reviewed"), "ReviewVault");
        engine.BeforeRead("drafts/**", static (in PolicyRequest _) => PolicyDecision.Deny("drafts are private"), "PrivateDrafts", EnforcementMode.Shadow);
        engine.AddRateLimit(PolicyOperation.Write, 100, RateLimitRule.AgentIdScope);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("DASHBOARD_TEST_LOG") == "1") { builder.Logging.AddConsole(); }
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options =>
        {
            options.Events.OnRedirectToLogin = static context =>
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            };
        });
        builder.Services.AddAuthorizationBuilder().AddPolicy("approvers", policy => policy.RequireAuthenticatedUser());
        WebApplication app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapGet("/login", static async (HttpContext context, string user) =>
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
            return Results.Text("signed in as " + user);
        });
        app.MapPolicyDashboard("/policy", engine, options =>
        {
            if (localAnonymous)
            {
                options.AllowAnonymousLocalRequests = true;
            }
            else
            {
                options.AuthorizationPolicy = "approvers";
            }

            options.DecisionLog = log;
            options.PageSize = 10;
            tune?.Invoke(options);
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DashboardHost(app, store, engine, log, address) { DirectoryToRemove = directory };
    }

    private string? DirectoryToRemove { get; init; }

    /// <summary>The agent asks to write <paramref name="key"/>; returns the approval id.</summary>
    public string Request(string key, string value) =>
        Refusals.ApprovalRequired(() => Engine.Put(key, value, Agent)).Approval!.Id;

    public string? Stored(string key) => Store.TryGet(Encoding.UTF8.GetBytes(key), out byte[]? value) ? Encoding.UTF8.GetString(value) : null;

    /// <summary>Allowed writes of <paramref name="key"/> in the decision log (the engine runs an approved write exactly once).</summary>
    public int WritesOf(string key)
    {
        Engine.Audit.Flush();
        return Log.Query(new AuditQuery()).Count(r => r.Key == key && r.Operation == PolicyOperation.Write
            && r.Result == AuditResult.Allowed && r.Reason is null);
    }

    /// <summary>Runs one SQL statement on the app's SQLite file, behind the engine's back (an edit by someone with access to the file).</summary>
    public void Sql(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Log.Path + ";Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>An HTTP client with its own cookies, signed in as <paramref name="user"/> unless null.</summary>
    public async Task<HttpClient> ClientAsync(string? user)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(Address),
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (user is not null)
        {
            (await client.GetAsync("/login?user=" + user)).EnsureSuccessStatusCode();
        }

        return client;
    }

    /// <summary>The antiforgery form field of a page (name and value), as a browser would submit it.</summary>
    public static KeyValuePair<string, string> TokenField(string page)
    {
        Match match = TokenInput().Match(page);
        Assert.True(match.Success, "the page has no antiforgery field");
        return new(match.Groups[1].Value, WebUtility.HtmlDecode(match.Groups[2].Value));
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(__RequestVerificationToken[^\"]*)\" value=\"([^\"]+)\">")]
    private static partial Regex TokenInput();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Engine.Dispose();
        Log.Dispose();
        Store.Dispose();
        if (DirectoryToRemove is not null)
        {
            Directory.Delete(DirectoryToRemove, recursive: true);
        }
    }
}
