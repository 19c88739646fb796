using System.Net;
using Microsoft.AspNetCore.Builder;

namespace SochDb.Policy.Dashboard.Tests;

/// <summary>The dashboard over real HTTP (Kestrel on a loopback port): who may see it, the antiforgery check, the headers.</summary>
public sealed class DashboardHttpTests : IAsyncLifetime
{
    private DashboardHost _host = null!;

    public async Task InitializeAsync() => _host = await DashboardHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/policy/")]
    [InlineData("/policy/log")]
    [InlineData("/policy/log/verify")]
    [InlineData("/policy/rules")]
    [InlineData("/policy/limits")]
    [InlineData("/policy/dashboard.css")]
    public async Task Anonymous_IsRefused_OnEveryPage(string path)
    {
        using HttpClient anonymous = await _host.ClientAsync(user: null);

        using HttpResponseMessage response = await anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Anonymous_CannotDecide()
    {
        string id = _host.Request("shared/plan", "launch");
        using HttpClient anonymous = await _host.ClientAsync(user: null);

        using HttpResponseMessage response = await anonymous.PostAsync("/policy/approvals/decide",
            new FormUrlEncodedContent([new("id", id), new("decision", "approve")]));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(_host.Stored("shared/plan"));
    }

    [Fact]
    public async Task PostWithoutTheAntiforgeryToken_Is400_AndNothingRuns()
    {
        string id = _host.Request("shared/plan", "launch");
        using HttpClient dana = await _host.ClientAsync("dana");
        await dana.GetStringAsync("/policy/");

        using HttpResponseMessage response = await dana.PostAsync("/policy/approvals/decide",
            new FormUrlEncodedContent([new("id", id), new("decision", "approve")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(_host.Stored("shared/plan"));
        Assert.Equal(id, Assert.Single(_host.Engine.Approvals.Pending).Id);
    }

    [Fact]
    public async Task TheSameFormSentTwice_RunsTheWriteOnce_TheSecondIsAlreadyUsed()
    {
        string id = _host.Request("shared/plan", "launch");
        using HttpClient dana = await _host.ClientAsync("dana");
        KeyValuePair<string, string> token = DashboardHost.TokenField(await dana.GetStringAsync("/policy/"));
        var form = new List<KeyValuePair<string, string>> { token, new("id", id), new("decision", "approve"), new("reason", "ok") };

        using HttpResponseMessage first = await dana.PostAsync("/policy/approvals/decide", new FormUrlEncodedContent(form));
        using HttpResponseMessage second = await dana.PostAsync("/policy/approvals/decide", new FormUrlEncodedContent(form));

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal($"/policy/?outcome=approved&id={id}", first.Headers.Location!.OriginalString);
        Assert.Equal($"/policy/?outcome=already-used&id={id}", second.Headers.Location!.OriginalString);
        Assert.Equal("launch", _host.Stored("shared/plan"));
        Assert.Equal(1, _host.WritesOf("shared/plan"));
        Assert.True(_host.Engine.Approvals.TryGet(id, out ApprovalRequest? request));
        Assert.Equal((ApprovalState.Executed, "dana"), (request.State, request.DecidedBy));
    }

    [Fact]
    public async Task ApprovedButARateLimitRefusesTheRun_SaysRateLimited_AndTheApprovalIsSpent()
    {
        _host.Engine.AddRateLimit(PolicyOperation.Write, 1);
        string limited = _host.Request("shared/plan", "launch"); // the request took the minute's only write token
        using HttpClient dana = await _host.ClientAsync("dana");
        KeyValuePair<string, string> token = DashboardHost.TokenField(await dana.GetStringAsync("/policy/"));

        using HttpResponseMessage approve = await dana.PostAsync("/policy/approvals/decide",
            new FormUrlEncodedContent([token, new("id", limited), new("decision", "approve")]));
        using HttpResponseMessage reject = await dana.PostAsync("/policy/approvals/decide",
            new FormUrlEncodedContent([token, new("id", limited), new("decision", "reject")]));

        Assert.Equal($"/policy/?outcome=rate-limited&id={limited}", approve.Headers.Location!.OriginalString);
        Assert.Equal($"/policy/?outcome=already-used&id={limited}", reject.Headers.Location!.OriginalString);
        Assert.Null(_host.Stored("shared/plan"));
    }

    [Fact]
    public async Task RejectedThenApproved_SaysAlreadyRejected_AndRunsNothing()
    {
        string id = _host.Request("shared/plan", "launch");
        using HttpClient dana = await _host.ClientAsync("dana");
        KeyValuePair<string, string> token = DashboardHost.TokenField(await dana.GetStringAsync("/policy/"));
        _host.Engine.Approvals.Reject(id, "not today", "erin"); // decided elsewhere while the page was open

        using HttpResponseMessage response = await dana.PostAsync("/policy/approvals/decide",
            new FormUrlEncodedContent([token, new("id", id), new("decision", "approve")]));

        Assert.Equal($"/policy/?outcome=already-rejected&id={id}", response.Headers.Location!.OriginalString);
        Assert.Null(_host.Stored("shared/plan"));
    }

    [Fact]
    public async Task ForgedAndMalformedIds_RunNothing_AndAreNotEchoed()
    {
        _host.Request("shared/plan", "launch");
        using HttpClient dana = await _host.ClientAsync("dana");
        KeyValuePair<string, string> token = DashboardHost.TokenField(await dana.GetStringAsync("/policy/"));

        foreach (string forged in new[] { "<script>alert(1)</script>", new string('f', 32), "../../x" })
        {
            using HttpResponseMessage response = await dana.PostAsync("/policy/approvals/decide",
                new FormUrlEncodedContent([token, new("id", forged), new("decision", "approve")]));
            string location = response.Headers.Location!.OriginalString;
            Assert.StartsWith("/policy/?outcome=unknown", location);
            Assert.DoesNotContain("script", location);
        }

        Assert.Null(_host.Stored("shared/plan"));
        Assert.Single(_host.Engine.Approvals.Pending);
    }

    [Fact]
    public async Task EveryPage_CarriesACspWithoutScript_AndNoScriptTag()
    {
        _host.Request("shared/plan", "launch");
        using HttpClient dana = await _host.ClientAsync("dana");

        foreach (string path in new[] { "/policy/", "/policy/log", "/policy/log/verify", "/policy/rules", "/policy/limits" })
        {
            using HttpResponseMessage response = await dana.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", csp);
            Assert.DoesNotContain("script-src", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            string page = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(" style=", page, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task DecisionLog_IsKeysetPaged_AndFiltered()
    {
        for (int i = 0; i < 25; i++)
        {
            _host.Engine.Put($"notes/{i:D2}", "v", DashboardHost.Agent);
        }

        _host.Engine.Put("notes/other", "v", new PolicyContext { AgentId = "agent-9" });
        _host.Engine.Audit.Flush();
        using HttpClient dana = await _host.ClientAsync("dana");

        string first = await dana.GetStringAsync("/policy/log?agent=agent-7");
        Assert.Contains("notes/24", first);
        Assert.DoesNotContain("notes/14", first);
        Assert.DoesNotContain("notes/other", first);
        string older = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(first, "id=\"older\" href=\"([^\"]+)\"").Groups[1].Value);
        Assert.Contains("agent=agent-7", older);
        string second = await dana.GetStringAsync(older);
        Assert.Contains("notes/14", second);
        Assert.DoesNotContain("notes/24", second);

        string bad = await dana.GetStringAsync("/policy/log?from=yesterday&result=Maybe&before=x1");
        Assert.Contains("from: &quot;yesterday&quot; is not a date and time", bad);
        Assert.Contains("result: &quot;Maybe&quot; is not a result", bad);
    }

    [Fact]
    public async Task Verify_ShowsTheHead_AndTheFirstBrokenEntry()
    {
        _host.Engine.Put("notes/a", "v", DashboardHost.Agent);
        _host.Engine.Put("notes/b", "v", DashboardHost.Agent);
        _host.Engine.Audit.Flush();
        using HttpClient dana = await _host.ClientAsync("dana");

        string intact = await dana.GetStringAsync("/policy/log/verify");
        Assert.Contains(">intact<", intact);
        Assert.Contains(">#2 ", intact);
        Assert.Contains("<th>First broken entry</th><td class=\"mono\">none</td>", intact);

        // Someone with write access to the file edits an entry: the page names it.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + _host.Log.Path + ";Pooling=false"))
        {
            connection.Open();
            using var edit = connection.CreateCommand();
            edit.CommandText = "UPDATE sochdb_audit SET agent_id = 'someone-else' WHERE id = 1";
            edit.ExecuteNonQuery();
        }

        string broken = await dana.GetStringAsync("/policy/log/verify");
        Assert.Contains(">BROKEN<", broken);
        Assert.Contains("<th>First broken entry</th><td class=\"mono\">#1</td>", broken);
    }

    [Fact]
    public async Task Rules_ShowModeAndCountsSinceStart_Limits_ShowTheBusiestScope()
    {
        _host.Engine.Get("drafts/x", DashboardHost.Agent);
        _host.Engine.Get("drafts/y", DashboardHost.Agent);
        _host.Engine.Put("notes/a", "v", DashboardHost.Agent);
        _host.Engine.Audit.Flush();
        using HttpClient dana = await _host.ClientAsync("dana");

        string rules = await dana.GetStringAsync("/policy/rules");
        string limits = await dana.GetStringAsync("/policy/limits");

        Assert.Matches("<td class=\"mono\">drafts/\\*\\*</td><td class=\"mono\">PrivateDrafts</td><td>Shadow</td><td>run time / configuration</td><td>2</td><td>0</td><td>2</td>", rules);
        Assert.Contains("<td class=\"mono\">shared/**</td><td class=\"mono\">ApproveSharing</td><td>Enforce</td>", rules);
        Assert.Contains("<td>agent-7</td><td>99 / 100</td>", limits);
    }

    [Fact]
    public void Mapping_WithoutAPolicy_OrLocalOptIn_Refuses()
    {
        WebApplication app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapPolicyDashboard("/policy", _host.Engine));

        Assert.StartsWith("The policy dashboard lets people approve operations, so it needs an authorization policy", error.Message);
    }

    [Fact]
    public async Task LocalAnonymous_ServesLoopbackRequests_AsAnonymousLocal()
    {
        await using DashboardHost local = await DashboardHost.StartAsync(localAnonymous: true);
        string id = local.Request("shared/plan", "launch");
        using HttpClient client = await local.ClientAsync(user: null);
        KeyValuePair<string, string> token = DashboardHost.TokenField(await client.GetStringAsync("/policy/"));

        using HttpResponseMessage response = await client.PostAsync("/policy/approvals/decide",
            new FormUrlEncodedContent([token, new("id", id), new("decision", "reject"), new("reason", "not now")]));

        Assert.Equal($"/policy/?outcome=rejected&id={id}", response.Headers.Location!.OriginalString);
        Assert.True(local.Engine.Approvals.TryGet(id, out ApprovalRequest? request));
        Assert.Equal((ApprovalState.Rejected, "anonymous (local)", "not now"), (request.State, request.DecidedBy, request.RejectionReason));
    }
}
