using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SochDb.Policy.TestServers;

namespace SochDb.Policy.Dashboard.Tests;

/// <summary>
/// One headless Chromium (Debian's, installed by <see cref="ChromiumBrowser"/> when missing) driven through its
/// ChromeDriver, given by path so Selenium Manager never goes online.
/// </summary>
public sealed class BrowserFixture : IDisposable
{
    public BrowserFixture()
    {
        (string browser, string driver) = ChromiumBrowser.FindOrInstall();
        ChromeDriverService service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = browser };
        options.AddArguments(ChromiumBrowser.Arguments);
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
    }

    public ChromeDriver Driver { get; }

    public void Dispose() => Driver.Quit();
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
