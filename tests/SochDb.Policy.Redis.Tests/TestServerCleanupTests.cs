using System.Diagnostics;
using SochDb.Policy.TestServers;

namespace SochDb.Policy.Redis.Tests;

/// <summary>A test run killed before it stops its servers does not leave them running.</summary>
[Trait("Category", "Slow")]
public sealed class TestServerCleanupTests
{
    private static Process Sleep() => Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;

    [Fact]
    public void TheWatchdogStopsTheServerWhenItsOwnerDies()
    {
        using Process owner = Sleep();
        using Process server = Sleep();
        using Process watchdog = ServerHome.StartWatchdog(owner.Id, server.Id, $"kill -9 {server.Id}");
        try
        {
            owner.Kill();
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)), "the server outlived its owner by 20 s");
            Assert.True(watchdog.WaitForExit(TimeSpan.FromSeconds(20)), "the watchdog did not end after its cleanup");
        }
        finally
        {
            foreach (Process process in new[] { owner, server, watchdog })
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }
            }
        }
    }

    [Fact]
    public void TheWatchdogEndsByItselfOnceTheServerIsStoppedNormally()
    {
        using Process server = Sleep();
        using Process watchdog = ServerHome.StartWatchdog(Environment.ProcessId, server.Id, "true");
        server.Kill();
        Assert.True(watchdog.WaitForExit(TimeSpan.FromSeconds(20)), "the watchdog outlived the server it watched");
    }
}
