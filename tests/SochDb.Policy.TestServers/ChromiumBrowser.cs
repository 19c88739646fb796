using System;
using System.Collections.Generic;

namespace SochDb.Policy.TestServers;

/// <summary>
/// Debian's headless Chromium and its matching ChromeDriver, for tests that drive a real browser. Installs the packages
/// <c>chromium</c> and <c>chromium-driver</c> with apt-get when either binary is missing, as the PostgreSQL and Redis
/// fixtures install theirs.
/// </summary>
public static class ChromiumBrowser
{
    /// <summary>
    /// The arguments a headless Chromium needs here (root needs <c>--no-sandbox</c>), with no background network use
    /// worth waiting for.
    /// </summary>
    public static IReadOnlyList<string> Arguments { get; } =
    [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
        "--window-size=1400,900",
    ];

    /// <summary>The paths of the browser and of its driver, installing both first if either is missing.</summary>
    /// <exception cref="InvalidOperationException">They are missing and cannot be installed; the message says how to fix it.</exception>
    public static (string Browser, string Driver) FindOrInstall()
    {
        string? browser = Commands.Find("chromium", "/usr/bin/chromium");
        string? driver = Commands.Find("chromedriver", "/usr/bin/chromedriver");
        if (browser is null || driver is null)
        {
            Commands.AptInstall("chromium chromium-driver", "A headless Chromium and its ChromeDriver are needed by these tests and were not found");
            browser = Commands.Find("chromium", "/usr/bin/chromium");
            driver = Commands.Find("chromedriver", "/usr/bin/chromedriver");
        }

        return (browser ?? throw new InvalidOperationException("The Debian package 'chromium' was installed but 'chromium' is still not found."),
            driver ?? throw new InvalidOperationException("The Debian package 'chromium-driver' was installed but 'chromedriver' is still not found."));
    }
}
