using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace SochDb.Policy.TestServers;

/// <summary>
/// Where throwaway servers keep their data: one folder per server under a common root, each recording which process
/// owns it. A server whose owner has died (a killed test run) is stopped and its folder removed by the next start.
/// </summary>
internal static class ServerHome
{
    private const string OwnerFile = "owner";

    /// <summary>The common root, under the system temp folder.</summary>
    public static string Root { get; } = Path.Combine(Path.GetTempPath(), "sochdb-test-servers");

    /// <summary>Creates a fresh folder for a server of <paramref name="kind"/>, owned by this process.</summary>
    public static string Create(string kind)
    {
        Directory.CreateDirectory(Root);
        // Short: PostgreSQL puts its Unix socket in this folder, and socket paths are limited to about 100 bytes.
        string directory = Path.Combine(Root, $"{kind}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..(kind.Length + 20)]);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, OwnerFile), OwnerStamp(Environment.ProcessId) ?? Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return directory;
    }

    /// <summary>Stops the servers of <paramref name="kind"/> whose owners no longer run and removes their folders.</summary>
    public static void SweepStale(string kind, Action<string> stopServerIn)
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        foreach (string directory in Directory.GetDirectories(Root, kind + "-*"))
        {
            string ownerPath = Path.Combine(directory, OwnerFile);
            string? recorded = File.Exists(ownerPath) ? File.ReadAllText(ownerPath).Trim() : null;
            if (recorded is not null && IsAlive(recorded))
            {
                continue;
            }

            if (recorded is null && Directory.GetLastWriteTimeUtc(directory) > DateTime.UtcNow.AddMinutes(-1))
            {
                // Being created right now by another process.
                continue;
            }

            try
            {
                stopServerIn(directory);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // Best effort: a stale server that cannot be stopped must not fail this run.
            }

            DeleteQuietly(directory);
        }
    }

    public static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>"pid starttime": the start time tells a live owner from a later process that reused its id.</summary>
    private static string? OwnerStamp(int pid)
    {
        string stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return null;
        }

        try
        {
            string text = File.ReadAllText(stat);
            // Field 22 is the start time; fields after the command name (in parentheses, may hold spaces) split cleanly.
            string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return $"{pid} {fields[19]}";
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsAlive(string recorded)
    {
        string[] parts = recorded.Split(' ');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return false;
        }

        string? now = OwnerStamp(pid);
        return now is not null && (parts.Length < 2 || now == recorded);
    }

    /// <summary>
    /// Starts a small shell that waits for this process to end and then runs <paramref name="cleanup"/>, so a test run
    /// killed before it could stop its servers does not leave them running. It also ends by itself once
    /// <paramref name="serverPid"/> is gone (the normal stop). It ignores the signals a terminal sends to the group.
    /// </summary>
    public static Process StartWatchdog(int serverPid, string cleanup) => StartWatchdog(Environment.ProcessId, serverPid, cleanup);

    /// <summary><see cref="StartWatchdog(int, string)"/> for an owner other than this process (tests use a child as the owner).</summary>
    internal static Process StartWatchdog(int ownerPid, int serverPid, string cleanup)
    {
        string script =
            "trap '' INT TERM HUP; " +
            $"while [ -d /proc/{ownerPid} ] && [ -d /proc/{serverPid} ]; do sleep 1; done; " +
            $"if [ -d /proc/{serverPid} ]; then {cleanup}; fi";
        var info = new ProcessStartInfo("sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the watchdog shell (sh).");
    }
}
