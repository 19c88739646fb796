using System.Diagnostics;
using System.Reflection;

namespace SochDb.Policy.TestSupport;

/// <summary>
/// Drives the approval worker (tests/SochDb.Policy.ApprovalWorker) as real child processes: one raises a request and is
/// killed with SIGKILL, then eight approve it at the same moment. The test assembly names the worker's dll in
/// <c>[assembly: AssemblyMetadata("ApprovalWorkerPath", ...)]</c> (see its project file).
/// </summary>
internal static class ApprovalWorkers
{
    /// <summary>
    /// Raises a request for <paramref name="key"/> in a worker, kills it once the id is printed, checks the request
    /// with <paramref name="afterKill"/>, then lets eight workers approve it at once; returns the id and their outcomes.
    /// </summary>
    public static async Task<(string Id, List<string> Outcomes, List<int> ExitCodes)> KillRequesterThenRace(string store, string key,
        IReadOnlyDictionary<string, string>? environment, Action<string> afterKill, CancellationToken cancellationToken)
    {
        string id;
        using (Process requester = Start(environment, "request", store, key))
        {
            string line = await ReadLine(requester, cancellationToken);
            Assert.StartsWith("requested ", line);
            id = line["requested ".Length..];
            requester.Kill(entireProcessTree: true);
            await requester.WaitForExitAsync(cancellationToken);
        }

        afterKill(id);

        var approvers = new List<Process>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                approvers.Add(Start(environment, "approve", store, id, "approver-" + i));
            }

            foreach (Process approver in approvers)
            {
                Assert.Equal("ready", await ReadLine(approver, cancellationToken));
            }

            foreach (Process approver in approvers)
            {
                await approver.StandardInput.WriteLineAsync("go".AsMemory(), cancellationToken);
                await approver.StandardInput.FlushAsync(cancellationToken);
            }

            var outcomes = new List<string>();
            foreach (Process approver in approvers)
            {
                outcomes.Add(await ReadLine(approver, cancellationToken));
                await approver.WaitForExitAsync(cancellationToken);
            }

            return (id, outcomes, approvers.Select(p => p.ExitCode).Order().ToList());
        }
        finally
        {
            foreach (Process approver in approvers)
            {
                if (!approver.HasExited)
                {
                    approver.Kill(entireProcessTree: true);
                }

                approver.Dispose();
            }
        }
    }

    /// <summary>The entries of every worker's decision log beside <paramref name="store"/> (each verified intact first).</summary>
    public static List<AuditEntry> AuditEntries(string directory, string store)
    {
        var entries = new List<AuditEntry>();
        foreach (string file in Directory.GetFiles(directory, Path.GetFileName(store) + ".*.audit"))
        {
            using SqliteAuditSink log = SqliteAuditSink.Open(file);
            Assert.True(log.Verify().IsIntact);
            entries.AddRange(log.Query(new AuditQuery { Order = AuditOrder.OldestFirst }).Select(r => r.Entry));
        }

        return entries;
    }

    private static async Task<string> ReadLine(Process child, CancellationToken cancellationToken) =>
        await child.StandardOutput.ReadLineAsync(cancellationToken)
        ?? throw new InvalidOperationException($"the worker exited early: {await child.StandardError.ReadToEndAsync(cancellationToken)}");

    private static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        string worker = typeof(ApprovalWorkers).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ApprovalWorkerPath").Value!;
        Assert.True(File.Exists(worker), $"the approval worker was not built at {worker}");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(worker);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the approval worker");
    }

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
