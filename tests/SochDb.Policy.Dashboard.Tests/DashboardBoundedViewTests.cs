using System.Net;
using System.Text.RegularExpressions;

namespace SochDb.Policy.Dashboard.Tests;

/// <summary>
/// However large the decision log, a view reads a bounded part of it: verification goes on slice by slice from the
/// last entry it verified (and still finds a break after it, with its id), and a filtered log page searches a window
/// of ids at a time with a link to search on. Slices and windows are shrunk here so a small log shows the mechanics.
/// </summary>
public sealed class DashboardBoundedViewTests : IAsyncLifetime
{
    private DashboardHost _host = null!;

    public async Task InitializeAsync() => _host = await DashboardHost.StartAsync(tune: options =>
    {
        options.SliceEntries = 10;
        options.ViewBudget = TimeSpan.Zero;
        options.SearchWindow = 20;
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private void Write(int count, string prefix = "notes/")
    {
        for (int i = 0; i < count; i++)
        {
            _host.Engine.Put(prefix + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), "v", DashboardHost.Agent);
        }

        _host.Engine.Audit.Flush();
    }

    private static string Row(string page, string header) =>
        WebUtility.HtmlDecode(Regex.Match(page, $"<th>{header}</th><td[^>]*>([^<]*)</td>").Groups[1].Value);

    [Fact]
    public async Task Verify_GoesOnSliceBySlice_AndFindsABreakAfterTheVerifiedPoint_WithItsId()
    {
        Write(35);
        using HttpClient dana = await _host.ClientAsync("dana");

        string first = await dana.GetStringAsync("/policy/log/verify");
        Assert.Equal(("intact so far", "#1 to #10", "not reached yet"), (Row(first, "Result"), Row(first, "Verified"), Row(first, "Head")));
        Assert.Contains("id=\"verify-continue\"", first);

        // An entry the pass has not reached yet is edited: the pass finds it when it gets there.
        _host.Sql("UPDATE sochdb_audit SET agent_id = 'someone-else' WHERE id = 25");
        string second = await dana.GetStringAsync("/policy/log/verify");
        Assert.Equal(("intact so far", "#1 to #20"), (Row(second, "Result"), Row(second, "Verified")));
        string third = await dana.GetStringAsync("/policy/log/verify");
        Assert.Equal(("BROKEN", "#25"), (Row(third, "Result"), Row(third, "First broken entry")));
        Assert.StartsWith("entry #25 does not match its hash", Row(third, "Problem"));
        Assert.Contains("id=\"verify-again\"", third);

        // Put back: the next pass starts from the first entry and reaches the head.
        _host.Sql("UPDATE sochdb_audit SET agent_id = 'agent-7' WHERE id = 25");
        string last = "";
        for (int view = 0; view < 10 && !last.Contains(">intact<", StringComparison.Ordinal); view++)
        {
            last = await dana.GetStringAsync("/policy/log/verify");
            Assert.Equal("2", Row(last, "Pass"));
        }

        Assert.Equal("intact", Row(last, "Result"));
        Assert.StartsWith("#35 ", Row(last, "Head"));
    }

    [Fact]
    public async Task Verify_AfterAnIntactPass_ANewPassFindsAnEntryEditedBeforeTheOldHead()
    {
        Write(15);
        using HttpClient dana = await _host.ClientAsync("dana");
        Assert.Equal("intact so far", Row(await dana.GetStringAsync("/policy/log/verify"), "Result"));
        Assert.Equal("intact", Row(await dana.GetStringAsync("/policy/log/verify"), "Result"));

        _host.Sql("UPDATE sochdb_audit SET reason = 'nothing to see' WHERE id = 3");
        string again = await dana.GetStringAsync("/policy/log/verify");

        Assert.Equal(("BROKEN", "2", "#3"), (Row(again, "Result"), Row(again, "Pass"), Row(again, "First broken entry")));
    }

    [Fact]
    public async Task AFilteredPage_SearchesOneWindowAtATime_AndTheLinkSearchesOn()
    {
        _host.Engine.Get("drafts/plan", DashboardHost.Agent); // a Shadow rule: "would deny", entry #1
        Write(45);
        using HttpClient dana = await _host.ClientAsync("dana");

        string first = await dana.GetStringAsync("/policy/log?result=WouldDeny");
        Assert.Contains("Searched entries #27 to #46", first);
        Assert.Contains("No entries match in this window.", first);
        string older = WebUtility.HtmlDecode(Regex.Match(first, "id=\"older\" href=\"([^\"]+)\">Search older entries<").Groups[1].Value);
        Assert.Equal("/policy/log?before=27&result=WouldDeny", older);

        string second = await dana.GetStringAsync(older);
        Assert.Contains("Searched entries #7 to #26", second);
        string third = await dana.GetStringAsync(WebUtility.HtmlDecode(Regex.Match(second, "id=\"older\" href=\"([^\"]+)\"").Groups[1].Value));
        Assert.Contains("Searched entries #1 to #6.", third);
        Assert.Contains("drafts/plan", third);
        Assert.DoesNotContain("id=\"older\"", third);

        // The agent filter alone has its own index: no window.
        Assert.DoesNotContain("Searched entries", await dana.GetStringAsync("/policy/log?agent=agent-7"));
    }
}
