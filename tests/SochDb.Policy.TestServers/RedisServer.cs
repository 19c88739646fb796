using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace SochDb.Policy.TestServers;

/// <summary>
/// A throwaway Redis server on a free loopback port, without persistence, its files in a temporary folder. Installs
/// the Debian package <c>redis-server</c> when the binary is missing. Stopped (and its folder removed) on
/// <see cref="Dispose"/>; a watchdog stops it if this process dies first.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly string _binary;
    private readonly string _directory;
    private Process? _process;
    private Process? _watchdog;
    private bool _disposed;

    private RedisServer(string binary, string directory, int port)
    {
        _binary = binary;
        _directory = directory;
        Port = port;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a new server (installing Redis first if needed).</summary>
    /// <exception cref="InvalidOperationException">Redis is missing and cannot be installed, or does not start; the message says why and how to fix it.</exception>
    public static RedisServer Start()
    {
        ServerHome.SweepStale("redis", StopStale);
        string binary = FindOrInstall();
        var server = new RedisServer(binary, ServerHome.Create("redis"), FreePort.Next());
        try
        {
            server.Launch();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server with SIGKILL, as a crash would (no shutdown, connections reset).</summary>
    public void Kill()
    {
        Process? process = _process;
        if (process is { HasExited: false })
        {
            process.Kill();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("redis-server did not exit within 30 s of SIGKILL.");
            }
        }
    }

    /// <summary>Starts the server again on the same port after <see cref="Kill"/> (empty: it keeps no data).</summary>
    public void Restart()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Kill();
        Launch();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Kill();
        _process?.Dispose();
        StopWatchdog();
        ServerHome.DeleteQuietly(_directory);
    }

    private void Launch()
    {
        var info = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            WorkingDirectory = _directory,
        };
        foreach (string argument in new[]
                 {
                     "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--daemonize", "no", "--dir", _directory, "--logfile", Path.Combine(_directory, "redis.log"),
                     "--pidfile", Path.Combine(_directory, "redis.pid"),
                 })
        {
            info.ArgumentList.Add(argument);
        }

        _process?.Dispose();
        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{_binary}'.");
        File.WriteAllText(Path.Combine(_directory, "server.pid"), _process.Id.ToString(CultureInfo.InvariantCulture));
        StopWatchdog();
        _watchdog = ServerHome.StartWatchdog(_process.Id, $"kill -9 {_process.Id}; rm -rf '{_directory}'");
        WaitUntilReady();
    }

    private void StopWatchdog()
    {
        if (_watchdog is { HasExited: false })
        {
            _watchdog.Kill();
        }

        _watchdog?.Dispose();
        _watchdog = null;
    }

    private void WaitUntilReady()
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                break;
            }

            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", Port);
                NetworkStream stream = client.GetStream();
                stream.Write("PING\r\n"u8);
                byte[] buffer = new byte[64];
                int read = stream.Read(buffer);
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException e)
            {
                last = e;
            }
            catch (IOException e)
            {
                last = e;
            }

            Thread.Sleep(25);
        }

        string log = Path.Combine(_directory, "redis.log");
        throw new InvalidOperationException(
            $"Redis ({_binary}) did not answer PING on port {Port} within 20 s. Log:\n{(File.Exists(log) ? File.ReadAllText(log) : "(none)")}", last);
    }

    private static string FindOrInstall()
    {
        string? binary = Commands.Find("redis-server", "/usr/bin/redis-server", "/usr/local/bin/redis-server");
        if (binary is not null)
        {
            return binary;
        }

        Commands.AptInstall("redis-server", "Redis is needed by these tests and 'redis-server' was not found on the PATH");
        return Commands.Find("redis-server", "/usr/bin/redis-server")
            ?? throw new InvalidOperationException("The Debian package 'redis-server' was installed but 'redis-server' is still not found.");
    }

    private static void StopStale(string directory)
    {
        string pidFile = Path.Combine(directory, "server.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        string cmdline = $"/proc/{pid}/cmdline";
        // Kill only if that pid is still a redis-server (ids are reused).
        if (File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("redis-server", StringComparison.Ordinal))
        {
            using Process stale = Process.GetProcessById(pid);
            stale.Kill();
        }
    }
}
