using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;

namespace SochDb.Policy.Dashboard.Tests;

/// <summary>
/// The dashboard in a real browser (headless Chromium through WebDriver) against Kestrel on a loopback port: a person
/// signs in, sees pending requests and decides them; what people stored is shown as text, never run.
/// </summary>
[Trait("Category", "Slow")]
[Collection(BrowserCollection.Name)]
public sealed class DashboardBrowserTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly IWebDriver _driver = browser.Driver;
    private DashboardHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await DashboardHost.StartAsync();
        _driver.Manage().Cookies.DeleteAllCookies();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private void Open(string path) => _driver.Navigate().GoToUrl(_host.Address + path);

    private void SignIn(string user)
    {
        Open("/login?user=" + user);
        Assert.Contains("signed in as " + user, _driver.PageSource);
    }

    private IWebElement WaitFor(By by)
    {
        var wait = new DefaultWait<IWebDriver>(_driver) { Timeout = TimeSpan.FromSeconds(15), PollingInterval = TimeSpan.FromMilliseconds(100) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException));
        return wait.Until(d => d.FindElement(by));
    }

    private IWebElement Row(string id) => WaitFor(By.CssSelector($"tr[data-approval='{id}']"));

    private void Decide(string id, string decision, string reason)
    {
        IWebElement row = Row(id);
        row.FindElement(By.Name("reason")).SendKeys(reason);
        row.FindElement(By.CssSelector($"button[value='{decision}']")).Click();
    }

    [Fact]
    public void ApproveInTheBrowser_TheWriteLandsExactlyOnce()
    {
        string id = _host.Request("shared/plan", "launch on Friday");
        _host.Request("shared/roadmap/2027", "Q1: approvals that survive restarts; Q2: a dashboard people can use");
        _host.Request(DashboardHost.Secret, "0000");
        SignIn("dana");
        Open("/policy/");
        IWebElement row = Row(id);
        Assert.Equal(["write", "shared/plan", "agent-7"], row.FindElements(By.TagName("td")).Take(3).Select(c => c.Text));
        Assert.Contains("launch on Friday (16 bytes)", row.Text);
        SaveScreenshot("dashboard-approvals.png");

        Decide(id, "approve", "looks right");

        Assert.Equal("Approved: the operation ran once. (approval " + id + ")", WaitFor(By.CssSelector("p.notice")).Text);
        Assert.Equal("launch on Friday", _host.Stored("shared/plan"));
        Assert.Equal(1, _host.WritesOf("shared/plan"));
        Assert.Equal(2, _driver.FindElements(By.CssSelector("tr[data-approval]")).Count);

        // Reloading the result page sends nothing again (post/redirect/get).
        _driver.Navigate().Refresh();
        Assert.Equal(1, _host.WritesOf("shared/plan"));
        Assert.True(_host.Engine.Approvals.TryGet(id, out ApprovalRequest? request));
        Assert.Equal((ApprovalState.Executed, "dana"), (request.State, request.DecidedBy));
    }

    [Fact]
    public void RejectInTheBrowser_NothingRuns()
    {
        string id = _host.Request("shared/plan", "launch on Friday");
        SignIn("erin");
        Open("/policy/");

        Decide(id, "reject", "not before the review");

        Assert.StartsWith("Rejected: the operation will never run.", WaitFor(By.CssSelector("p.notice")).Text);
        Assert.Null(_host.Stored("shared/plan"));
        Assert.Equal(0, _host.WritesOf("shared/plan"));
        Assert.True(_host.Engine.Approvals.TryGet(id, out ApprovalRequest? request));
        Assert.Equal((ApprovalState.Rejected, "erin", "not before the review"), (request.State, request.DecidedBy, request.RejectionReason));
    }

    [Fact]
    public void NotSignedIn_TheBrowserIsRefused()
    {
        _host.Request("shared/plan", "launch");

        Open("/policy/");

        Assert.DoesNotContain("shared/plan", _driver.PageSource);
        Assert.Empty(_driver.FindElements(By.CssSelector("tr[data-approval]")));
    }

    [Fact]
    public void AMaskedKey_StaysMaskedOnEveryPage()
    {
        string id = _host.Request(DashboardHost.Secret, "the codes are 0000");
        _host.Engine.Audit.Flush();
        SignIn("dana");
        Open("/policy/");
        string masked = Row(id).FindElement(By.CssSelector("td.key")).Text;
        Assert.StartsWith("masked:", masked);
        Assert.Contains("(hidden: the key is masked)", Row(id).Text);

        foreach (string path in new[] { "/policy/", "/policy/log", "/policy/log?agent=agent-7", "/policy/rules", "/policy/limits", "/policy/log/verify" })
        {
            Open(path);
            WaitFor(By.TagName("h2"));
            Assert.DoesNotContain(DashboardHost.Secret, _driver.PageSource);
            Assert.DoesNotContain("the codes are 0000", _driver.PageSource);
        }

        Open("/policy/log");
        Assert.Contains(masked, WaitFor(By.Id("log")).Text);

        // Approving it from the page still runs the real key.
        Open("/policy/");
        Decide(id, "approve", "ok");
        WaitFor(By.CssSelector("p.notice"));
        Assert.Equal("the codes are 0000", _host.Stored(DashboardHost.Secret));
        Open("/policy/log");
        Assert.DoesNotContain(DashboardHost.Secret, WaitFor(By.Id("log")).Text);
    }

    [Fact]
    public void ScriptInAKeyReasonOrValue_IsShownAsText_AndNeverRuns()
    {
        const string Key = "shared/<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
        const string Value = "</td><script>window.pwned=3</script><b onmouseover=\"window.pwned=4\">bold</b>";
        string id = _host.Request(Key, Value);
        _host.Engine.Audit.Flush();
        SignIn("dana");

        foreach (string path in new[] { "/policy/", "/policy/log", "/policy/rules" })
        {
            Open(path);
            WaitFor(By.TagName("h2"));
            Assert.Null(((IJavaScriptExecutor)_driver).ExecuteScript("return window.pwned === undefined ? null : window.pwned;"));
            Assert.Empty(_driver.FindElements(By.CssSelector("main script, main img, main b")));
        }

        Open("/policy/");
        IWebElement row = Row(id);
        Assert.Equal(Key, row.FindElement(By.CssSelector("td.key")).Text);
        Assert.Contains("the team sees " + Key, row.Text);
        Assert.Contains(Value, row.FindElement(By.CssSelector("td.preview")).Text);

        Decide(id, "approve", "<script>window.pwned=5</script>");
        WaitFor(By.CssSelector("p.notice"));
        Assert.Null(((IJavaScriptExecutor)_driver).ExecuteScript("return window.pwned === undefined ? null : window.pwned;"));
        Assert.Equal(Value, _host.Stored(Key));
    }

    [Fact]
    public void VerifyButton_ShowsTheHead()
    {
        _host.Engine.Put("notes/a", "v", DashboardHost.Agent);
        _host.Engine.Audit.Flush();
        SignIn("dana");
        Open("/policy/log");

        WaitFor(By.Id("verify")).Click();

        string verification = WaitFor(By.Id("verification")).Text;
        Assert.Contains("intact", verification);
        Assert.Contains("#1 ", verification);
    }

    /// <summary>Saves what the browser shows into artifacts/ at the repository root (CI keeps it; docs use it).</summary>
    private void SaveScreenshot(string name)
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "SochDb.Policy.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        string artifacts = Path.Combine(directory ?? Path.GetTempPath(), "artifacts");
        Directory.CreateDirectory(artifacts);
        ((ITakesScreenshot)_driver).GetScreenshot().SaveAsFile(Path.Combine(artifacts, name));
    }
}
