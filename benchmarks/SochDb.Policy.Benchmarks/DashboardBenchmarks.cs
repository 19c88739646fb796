using System.Globalization;
using System.Security.Claims;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SochDb.Policy.Dashboard;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// T17: every dashboard page served in ≤ 100 ms with 10⁶ entries in the decision log. The log (a SQLite file, built once
/// in a temp folder: 100 agents, 16 rules, every result, one entry a millisecond) backs the dashboard of an engine over a
/// SQLite file with 20 pending approvals and busy rate limits. Each page is requested in process through the whole
/// ASP.NET Core pipeline (routing, authorization, the dashboard's filters, rendering) on a <c>TestServer</c>; the
/// baseline is the stylesheet through the same pipeline.
/// </summary>
[MemoryDiagnoser]
public class DashboardBenchmarks
{
    // 10⁶ unless SOCHDB_DASHBOARD_BENCH_ENTRIES says otherwise (CI's smoke run uses a small log).
    private static readonly int LogEntries = int.TryParse(Environment.GetEnvironmentVariable("SOCHDB_DASHBOARD_BENCH_ENTRIES"), out int entries) && entries > 0
        ? entries : 1_000_000;
    private const int Agents = 100;
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Rules = Enumerable.Range(0, 16).Select(i => $"BeforeWrite \"area{i}/**\" -> Handler{i}").ToArray();

    private string _directory = null!;
    private SqliteAuditSink _log = null!;
    private Database _store = null!;
    private PolicyEngine _engine = null!;
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("sochdb-dashboard-bench-").FullName;
        _log = SqliteAuditSink.Open(Path.Combine(_directory, "decisions.db"), new SqliteAuditSinkOptions { Durability = Durability.Normal });
        FillLog(_log);

        _store = Database.Open(Path.Combine(_directory, "app.db"), new DatabaseOptions { Durability = Durability.Normal });
        _engine = new PolicyEngine(_store);
        _engine.Audit.Enable(new AuditOptions { Sinks = [_log], MaskedKeys = ["vault/**"] });
        for (int i = 0; i < 16; i++)
        {
            _engine.BeforeRead($"area{i}/**", static (in PolicyRequest _) => PolicyDecision.Allow, "Handler" + i.ToString(CultureInfo.InvariantCulture),
                i % 4 == 0 ? EnforcementMode.Shadow : EnforcementMode.Enforce);
        }

        _engine.BeforeWrite("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the team sees it"), "ApproveSharing");
        _engine.AddRateLimit(PolicyOperation.Read, 600, RateLimitRule.AgentIdScope);
        for (int i = 0; i < 20; i++)
        {
            var agent = new PolicyContext { AgentId = "agent-" + i.ToString(CultureInfo.InvariantCulture), SessionId = "s" };
            try
            {
                _engine.Put("shared/plan-" + i.ToString(CultureInfo.InvariantCulture), "a value to preview " + new string('x', 400), agent);
            }
            catch (PolicyViolationException refused) when (refused.Cause == PolicyRefusalCause.ApprovalRequired)
            {
            }

            for (int j = 0; j <= i; j++)
            {
                _engine.Get("area1/k", agent);
            }
        }

        _engine.Audit.Flush();

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.Services.AddRoutingCore();
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthorizationBuilder().AddPolicy("operators", policy => policy.RequireAuthenticatedUser());
        _app = builder.Build();
        // Everyone is signed in as "dana": the benchmark measures the pages, not a sign-in scheme.
        var dana = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "dana")], "bench"));
        _app.Use((context, next) =>
        {
            context.User = dana;
            return next(context);
        });
        _app.UseAuthorization();
        _app.MapPolicyDashboard("/policy", _engine, options =>
        {
            options.AuthorizationPolicy = "operators";
            options.DecisionLog = _log;
        });
        _app.StartAsync().GetAwaiter().GetResult();
        _client = _app.GetTestClient();

        // Each page once, so a broken page fails the run rather than measuring an error page.
        foreach (string path in Paths)
        {
            using HttpResponseMessage response = _client.GetAsync(path).GetAwaiter().GetResult();
            string text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode || !text.Contains("</html>", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
            }
        }
    }

    private static readonly string[] Paths =
    [
        "/policy/", "/policy/log", "/policy/log?agent=agent-42", "/policy/log?result=ApprovalRequired", "/policy/log?rule=" + Uri.EscapeDataString(Rules[7]),
        "/policy/log?from=2026-12-01T00:05&to=2026-12-01T00:06", "/policy/log?before=" + (LogEntries / 2).ToString(CultureInfo.InvariantCulture),
        "/policy/log?agent=agent-42&before=" + (LogEntries / 5).ToString(CultureInfo.InvariantCulture),
        "/policy/rules", "/policy/limits", "/policy/log/verify",
    ];

    /// <summary>The entries, appended in batches of 10,000 through the sink (hash chain included).</summary>
    private static void FillLog(SqliteAuditSink log)
    {
        byte[][] keys = Enumerable.Range(0, 256).Select(i => Encoding.UTF8.GetBytes($"area{i % 16}/item{i}")).ToArray();
        string[] agents = Enumerable.Range(0, Agents).Select(i => "agent-" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var batch = new List<AuditEntry>(10_000);
        for (int i = 0; i < LogEntries; i++)
        {
            // Results as a busy log has them: mostly allowed, some denied, a few shadow "would deny", approvals rare.
            int r = i % 1000;
            AuditResult result = r < 900 ? AuditResult.Allowed : r < 980 ? AuditResult.Denied : r < 999 ? AuditResult.WouldDeny : AuditResult.ApprovalRequired;
            string? rule = result == AuditResult.Allowed && i % 3 != 0 ? null : Rules[(i / 7) % 16];
            batch.Add(new AuditEntry(i, Start.AddMilliseconds(i), i % 5 == 0 ? PolicyOperation.Write : PolicyOperation.Read, keys[i % keys.Length],
                result, agents[(i * 7) % Agents], "session-" + (i % 500).ToString(CultureInfo.InvariantCulture), rule,
                result == AuditResult.Allowed ? null : "why " + r.ToString(CultureInfo.InvariantCulture)));
            if (batch.Count == batch.Capacity)
            {
                log.Write(batch);
                batch.Clear();
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
        _engine.Dispose();
        _log.Dispose();
        _store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Get(string path) => _client.GetStringAsync(path).GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "stylesheet (the pipeline alone)")]
    public string Stylesheet() => Get("/policy/dashboard.css");

    [Benchmark(Description = "approvals (20 pending)")]
    public string Approvals() => Get("/policy/");

    [Benchmark(Description = "log: first page")]
    public string LogFirstPage() => Get("/policy/log");

    [Benchmark(Description = "log: agent filter")]
    public string LogByAgent() => Get("/policy/log?agent=agent-42");

    [Benchmark(Description = "log: result filter (rare result)")]
    public string LogByResult() => Get("/policy/log?result=ApprovalRequired");

    [Benchmark(Description = "log: rule filter")]
    public string LogByRule() => Get(Paths[4]);

    [Benchmark(Description = "log: time filter, no match in the window searched")]
    public string LogByTime() => Get(Paths[5]);

    [Benchmark(Description = "log: deep keyset page (#500,000)")]
    public string LogDeepPage() => Get(Paths[6]);

    [Benchmark(Description = "log: agent filter, deep page")]
    public string LogByAgentDeep() => Get(Paths[7]);

    [Benchmark(Description = "rules (counts since start)")]
    public string RulesPage() => Get("/policy/rules");

    [Benchmark(Description = "limits (busiest scopes)")]
    public string Limits() => Get("/policy/limits");

    [Benchmark(Description = "verify (one bounded slice of the pass)")]
    public string Verify() => Get("/policy/log/verify");
}
