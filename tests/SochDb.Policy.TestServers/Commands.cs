using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace SochDb.Policy.TestServers;

/// <summary>Runs command-line tools and installs missing Debian packages.</summary>
internal static class Commands
{
    private static readonly Lock InstallLock = new();

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs a program to completion; throws with its output when it fails.</summary>
    public static string Run(string program, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{program}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{program} {string.Join(' ', info.ArgumentList)}' did not finish within {timeout.TotalSeconds:0} s.");
        }

        process.WaitForExit();
        string output = stdout.Result + stderr.Result;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{program} {string.Join(' ', info.ArgumentList)}' exited with {process.ExitCode}:\n{output}");
        }

        return output;
    }

    /// <summary>The first existing file among <paramref name="candidates"/> or on the PATH as <paramref name="name"/>.</summary>
    public static string? Find(string name, params string[] candidates)
    {
        foreach (string candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        string? path = Environment.GetEnvironmentVariable("PATH");
        return path?.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Installs <paramref name="package"/> (one name, or several separated by spaces) with apt-get (after apt-get update). One install at a time across processes:
    /// test projects run in parallel and dpkg admits one installer.
    /// </summary>
    public static void AptInstall(string package, string whatIsMissing)
    {
        string howTo = $"Install it with: sudo apt-get update && sudo apt-get install -y {package}";
        if (!IsRoot)
        {
            throw new InvalidOperationException($"{whatIsMissing}, and this user cannot install it (not root). {howTo}");
        }

        if (Find("apt-get") is null)
        {
            throw new InvalidOperationException($"{whatIsMissing}, and apt-get is not available to install it. {howTo} (or your system's equivalent).");
        }

        lock (InstallLock)
        {
            Directory.CreateDirectory(ServerHome.Root);
            using FileStream crossProcessLock = AcquireFileLock(Path.Combine(ServerHome.Root, "apt.lock"), TimeSpan.FromMinutes(5));
            try
            {
                Run("apt-get", ["update"], TimeSpan.FromMinutes(5));
                Run("apt-get", ["install", "-y", "--no-install-recommends", .. package.Split(' ', StringSplitOptions.RemoveEmptyEntries)], TimeSpan.FromMinutes(10));
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                throw new InvalidOperationException($"{whatIsMissing}; installing the Debian package '{package}' failed. {howTo}\n{e.Message}", e);
            }
        }
    }

    private static FileStream AcquireFileLock(string path, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>Runs <paramref name="program"/> as the <c>postgres</c> user when this process is root (initdb refuses root).</summary>
    public static (string Program, List<string> Arguments) AsPostgresUser(string program, IEnumerable<string> arguments)
    {
        if (!IsRoot)
        {
            return (program, arguments.ToList());
        }

        var wrapped = new List<string> { "-u", "postgres", "--", program };
        wrapped.AddRange(arguments);
        return ("runuser", wrapped);
    }
}
