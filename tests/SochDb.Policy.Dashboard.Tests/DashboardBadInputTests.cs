using System.Net;

namespace SochDb.Policy.Dashboard.Tests;

/// <summary>
/// Bad input and failure, decided from the page: a request that expired, a rule turned into a Deny since, two people
/// deciding at once, the approval store down, a forged id in the URL. Each says what happened and runs nothing it must not.
/// </summary>
public sealed class DashboardBadInputTests : IAsyncLifetime
{
    private DashboardHost _host = null!;

    public async Task InitializeAsync() => _host = await DashboardHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<string> Decide(HttpClient client, KeyValuePair<string, string> token, string id, string decision)
    {
        using HttpResponseMessage response = await client.PostAsync("/policy/approvals/decide",
            new FormUrlEncodedContent([token, new("id", id), new("decision", decision), new("reason", "from the page")]));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!.OriginalString;
    }

    [Fact]
    public async Task AnExpiredRequest_ApprovedFromThePage_SaysExpired_AndNothingRuns()
    {
        _host.Request("shared/other", "keeps the form on the page");
        _host.Engine.Approvals.Lifetime = TimeSpan.FromMilliseconds(1);
        string id = _host.Request("shared/plan", "launch");
        _host.Engine.Approvals.Lifetime = TimeSpan.FromMinutes(30);
        using HttpClient dana = await _host.ClientAsync("dana");
        KeyValuePair<string, string> token = DashboardHost.TokenField(await dana.GetStringAsync("/policy/"));
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (_host.Engine.Approvals.Pending.Any(p => p.Id == id))
        {
            Assert.True(DateTime.UtcNow < deadline, "the request with a lifetime of 1 ms did not expire within 30 s");
            await Task.Delay(20);
        }

        string location = await Decide(dana, token, id, "approve");

        Assert.Equal($"/policy/?outcome=expired&id={id}", location);
        Assert.Contains("That approval has expired: nothing ran.", await dana.GetStringAsync(location));
        Assert.Null(_host.Stored("shared/plan"));
        Assert.Equal(0, _host.WritesOf("shared/plan"));
    }

    [Fact]
    public async Task ARuleTurnedIntoADenySinceTheRequest_ApprovedFromThePage_TheDenyWins()
    {
        string id = _host.Request("shared/plan", "launch");
        using HttpClient dana = await _host.ClientAsync("dana");
        KeyValuePair<string, string> token = DashboardHost.TokenField(await dana.GetStringAsync("/policy/"));
        _host.Engine.BeforeWrite("shared/plan", static (in PolicyRequest _) => PolicyDecision.Deny("frozen for the audit"), "FreezePlan");

        string location = await Decide(dana, token, id, "approve");

        Assert.Equal($"/policy/?outcome=refused&id={id}", location);
        Assert.Null(_host.Stored("shared/plan"));
        _host.Engine.Audit.Flush();
        Assert.Contains(_host.Log.Query(new AuditQuery { Result = AuditResult.Denied }), r => r.Key == "shared/plan" && r.Reason == "frozen for the audit");
    }

    [Fact]
    public async Task TwoPeopleDecidingAtOnce_ExactlyOneDecisionHolds()
    {
        string approvedTwice = _host.Request("shared/plan", "launch");
        string approvedAndRejected = _host.Request("shared/notes", "minutes");
        using HttpClient dana = await _host.ClientAsync("dana");
        using HttpClient erin = await _host.ClientAsync("erin");
        KeyValuePair<string, string> danaToken = DashboardHost.TokenField(await dana.GetStringAsync("/policy/"));
        KeyValuePair<string, string> erinToken = DashboardHost.TokenField(await erin.GetStringAsync("/policy/"));

        string[] both = await Task.WhenAll(Decide(dana, danaToken, approvedTwice, "approve"), Decide(erin, erinToken, approvedTwice, "approve"));
        string[] split = await Task.WhenAll(Decide(dana, danaToken, approvedAndRejected, "approve"), Decide(erin, erinToken, approvedAndRejected, "reject"));

        Assert.Equal([$"/policy/?outcome=already-used&id={approvedTwice}", $"/policy/?outcome=approved&id={approvedTwice}"], both.Order(StringComparer.Ordinal));
        Assert.Equal(1, _host.WritesOf("shared/plan"));
        bool approvedWon = split.Contains($"/policy/?outcome=approved&id={approvedAndRejected}");
        Assert.Equal(approvedWon
            ? [$"/policy/?outcome=already-used&id={approvedAndRejected}", $"/policy/?outcome=approved&id={approvedAndRejected}"]
            : [$"/policy/?outcome=already-rejected&id={approvedAndRejected}", $"/policy/?outcome=rejected&id={approvedAndRejected}"],
            split.Order(StringComparer.Ordinal));
        Assert.Equal(approvedWon ? 1 : 0, _host.WritesOf("shared/notes"));
    }

    [Fact]
    public async Task TheApprovalStoreDown_WhileApprovingFromThePage_ClearMessage_NothingRuns_RequestKept()
    {
        string id = _host.Request("shared/plan", "launch");
        using HttpClient dana = await _host.ClientAsync("dana");
        KeyValuePair<string, string> token = DashboardHost.TokenField(await dana.GetStringAsync("/policy/"));
        _host.Sql("ALTER TABLE sochdb_approvals RENAME TO sochdb_approvals_away");

        string location = await Decide(dana, token, id, "approve");

        Assert.Equal($"/policy/?outcome=store-unavailable&id={id}", location);
        _host.Sql("ALTER TABLE sochdb_approvals_away RENAME TO sochdb_approvals");
        Assert.Contains("The approval store is unavailable: nothing ran and the request is unchanged.", await dana.GetStringAsync(location));
        Assert.Null(_host.Stored("shared/plan"));
        Assert.Equal(id, Assert.Single(_host.Engine.Approvals.Pending).Id);
    }

    [Fact]
    public async Task AForgedIdInTheUrl_IsShownAsText_NeverAsMarkup()
    {
        using HttpClient dana = await _host.ClientAsync("dana");

        string page = await dana.GetStringAsync("/policy/?outcome=approved&id=" + Uri.EscapeDataString("<script>alert(1)</script><img src=x onerror=alert(2)>"));

        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;", page);
        Assert.DoesNotContain("<script", page);
        Assert.DoesNotContain("<img", page);
    }
}
