using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

namespace SochDb.Policy.TestSupport;

/// <summary>
/// A helper program built beside the tests (its path recorded in an <see cref="AssemblyMetadataAttribute"/> of the test
/// assembly), run on the same dotnet host as a child process that reports line by line on stdout, and killed with
/// SIGKILL (<see cref="Process.Kill(bool)"/>) when a test wants it dead mid-stream.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private ChildProcess(Process process, string name)
    {
        Process = process;
        Name = name;
    }

    public Process Process { get; }

    public string Name { get; }

    /// <summary>Starts the program whose path the test assembly records under <paramref name="metadataKey"/>.</summary>
    public static ChildProcess Start(string metadataKey, params string[] arguments) => Start(metadataKey, null, arguments);

    /// <summary>Starts the program whose path the test assembly records under <paramref name="metadataKey"/>, with these environment variables set.</summary>
    public static ChildProcess Start(string metadataKey, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        string program = Assembly.GetExecutingAssembly().GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == metadataKey).Value!;
        if (!File.Exists(program))
        {
            throw new FileNotFoundException($"the child program {metadataKey} was not built at {program}", program);
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(program);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        return new ChildProcess(process, Path.GetFileNameWithoutExtension(program));
    }

    /// <summary>The next line the child printed; throws with its stderr when it exited instead.</summary>
    public async Task<string> ReadLine(CancellationToken cancellationToken) =>
        await Process.StandardOutput.ReadLineAsync(cancellationToken)
        ?? throw new InvalidOperationException($"{Name} exited early: {await Process.StandardError.ReadToEndAsync(cancellationToken)}");

    /// <summary>Sends one line to the child's stdin.</summary>
    public async Task WriteLine(string line, CancellationToken cancellationToken)
    {
        await Process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken);
        await Process.StandardInput.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Kills the child with SIGKILL (if still running), waits for it to die, and returns the lines it had printed but the
    /// test had not read yet (lines already in the pipe when the kill landed).
    /// </summary>
    public async Task<List<string>> KillAndDrain(CancellationToken cancellationToken)
    {
        Kill();
        await Process.WaitForExitAsync(cancellationToken);
        var rest = new List<string>();
        string? line;
        while ((line = await Process.StandardOutput.ReadLineAsync(cancellationToken)) is not null)
        {
            rest.Add(line);
        }

        return rest;
    }

    /// <summary>SIGKILL, unless it has exited already.</summary>
    public void Kill()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Kills the child if it still runs (a failed test leaves nothing behind).</summary>
    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        Process.Dispose();
    }

    /// <summary>The dotnet host running these tests, so the child uses the same runtime.</summary>
    private static string DotnetHost()
    {
        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk) ? fromSdk : "dotnet";
    }
}
