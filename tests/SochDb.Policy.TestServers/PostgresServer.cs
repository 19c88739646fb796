using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace SochDb.Policy.TestServers;

/// <summary>
/// A throwaway PostgreSQL cluster on a free loopback port, its data in a temporary folder (initdb, then pg_ctl; run as
/// the <c>postgres</c> user when this process is root, since initdb refuses root). Installs the Debian package
/// <c>postgresql</c> when no server binaries are found. Stopped (and its folder removed) on <see cref="Dispose"/>; a
/// watchdog stops it if this process dies first.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binDirectory;
    private readonly string _directory;
    private System.Diagnostics.Process? _watchdog;
    private bool _disposed;

    private PostgresServer(string binDirectory, string directory, int port)
    {
        _binDirectory = binDirectory;
        _directory = directory;
        Port = port;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>An Npgsql connection string to the <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres";

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>Creates and starts a new cluster (installing PostgreSQL first if needed).</summary>
    /// <param name="durable">False (the default for tests) turns fsync off: much faster, and nothing here must survive a power cut.</param>
    /// <exception cref="InvalidOperationException">PostgreSQL is missing and cannot be installed, or does not start; the message says why and how to fix it.</exception>
    public static PostgresServer Start(bool durable = false)
    {
        ServerHome.SweepStale("postgres", StopStale);
        string bin = FindOrInstall();
        var server = new PostgresServer(bin, ServerHome.Create("postgres"), FreePort.Next());
        try
        {
            server.Launch(durable);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                RunAsPostgres("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "stop"]);
            }
            catch (InvalidOperationException)
            {
                RunAsPostgres("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
            }
        }

        if (_watchdog is { HasExited: false })
        {
            _watchdog.Kill();
        }

        _watchdog?.Dispose();
        ServerHome.DeleteQuietly(_directory);
    }

    private void Launch(bool durable)
    {
        if (Commands.IsRoot)
        {
            Commands.Run("chown", ["postgres:postgres", _directory], CommandTimeout);
        }

        Commands.Run("chmod", ["700", _directory], CommandTimeout);
        RunAsPostgres("initdb", ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
        string settings = $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_directory} -c listen_addresses=127.0.0.1 -c max_connections=200"
            + (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        try
        {
            RunAsPostgres("pg_ctl", ["-D", DataDirectory, "-o", settings, "-l", Path.Combine(_directory, "log"), "-w", "-t", "30", "start"]);
        }
        catch (InvalidOperationException e)
        {
            string log = Path.Combine(_directory, "log");
            throw new InvalidOperationException(
                $"PostgreSQL did not start on port {Port}: {e.Message}\nServer log:\n{(File.Exists(log) ? File.ReadAllText(log) : "(none)")}", e);
        }

        int postmaster = int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First().Trim(), CultureInfo.InvariantCulture);
        (string program, List<string> arguments) = Commands.AsPostgresUser(Path.Combine(_binDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "stop"]);
        _watchdog = ServerHome.StartWatchdog(postmaster, $"{program} {string.Join(' ', arguments.Select(a => $"'{a}'"))}; rm -rf '{_directory}'");
    }

    private string RunAsPostgres(string tool, IEnumerable<string> arguments)
    {
        (string program, List<string> wrapped) = Commands.AsPostgresUser(Path.Combine(_binDirectory, tool), arguments);
        return Commands.Run(program, wrapped, CommandTimeout);
    }

    private static string FindOrInstall()
    {
        string? bin = FindBinDirectory();
        if (bin is not null)
        {
            return bin;
        }

        Commands.AptInstall("postgresql", "PostgreSQL is needed by these tests and no server binaries (initdb, pg_ctl) were found in /usr/lib/postgresql/*/bin or on the PATH");
        return FindBinDirectory()
            ?? throw new InvalidOperationException("The Debian package 'postgresql' was installed but initdb is still not found in /usr/lib/postgresql/*/bin.");
    }

    private static string? FindBinDirectory()
    {
        const string Versions = "/usr/lib/postgresql";
        if (Directory.Exists(Versions))
        {
            string? newest = Directory.GetDirectories(Versions)
                .Select(d => (Directory: d, Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1))
                .Where(d => d.Version >= 0 && File.Exists(Path.Combine(d.Directory, "bin", "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Directory, "bin"))
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        string? initdb = Commands.Find("initdb");
        return initdb is not null && File.Exists(Path.Combine(Path.GetDirectoryName(initdb)!, "pg_ctl")) ? Path.GetDirectoryName(initdb) : null;
    }

    private static void StopStale(string directory)
    {
        string data = Path.Combine(directory, "data");
        string? bin = FindBinDirectory();
        if (bin is null || !File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            return;
        }

        (string program, List<string> arguments) = Commands.AsPostgresUser(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
        Commands.Run(program, arguments, CommandTimeout);
    }
}
