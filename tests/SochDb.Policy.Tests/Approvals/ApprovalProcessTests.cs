using System.Diagnostics;
using System.Reflection;
using System.Text;
using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Approvals;

/// <summary>
/// Approvals across real processes sharing one SQLite file: a request outlives a SIGKILL of the process that raised it,
/// and of eight processes racing to approve it exactly one runs it.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ApprovalProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task RequestingProcessKilled_ThePendingRequestSurvives_AndEightRacingProcessesRunItExactlyOnce()
    {
        string db = _directory.File("shared.db");
        using var cancel = new CancellationTokenSource(Timeout);

        // 1. A process raises the request and is killed with SIGKILL right after learning its id.
        string id;
        using (Process requester = StartWorker("request", db, "shared/plan"))
        {
            string line = await ReadLine(requester, cancel.Token);
            Assert.StartsWith("requested ", line);
            id = line["requested ".Length..];
            requester.Kill(entireProcessTree: true);
            await requester.WaitForExitAsync(cancel.Token);
        }

        using (Database store = Database.Open(db))
        using (var engine = new PolicyEngine(store))
        {
            Assert.Equal(id, Assert.Single(engine.Approvals.Pending).Id);
            Assert.False(store.TryGet("shared/plan"u8, out _));
        }

        // 2. Eight processes, each with its own engine over the file, approve the same id at the same moment.
        var approvers = new List<Process>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                approvers.Add(StartWorker("approve", db, id, "approver-" + i));
            }

            foreach (Process approver in approvers)
            {
                Assert.Equal("ready", await ReadLine(approver, cancel.Token));
            }

            foreach (Process approver in approvers)
            {
                await approver.StandardInput.WriteLineAsync("go".AsMemory(), cancel.Token);
                await approver.StandardInput.FlushAsync(cancel.Token);
            }

            var outcomes = new List<string>();
            foreach (Process approver in approvers)
            {
                outcomes.Add(await ReadLine(approver, cancel.Token));
                await approver.WaitForExitAsync(cancel.Token);
            }

            Assert.Equal(1, outcomes.Count(o => o == "approved"));
            Assert.Equal(7, outcomes.Count(o => o == "not-pending Executed"));
            Assert.Equal([0, 3, 3, 3, 3, 3, 3, 3], approvers.Select(p => p.ExitCode).Order());
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

        // 3. The decision logs of the nine processes show one request, one grant, one write, seven refusals.
        using Database after = Database.Open(db);
        Assert.True(after.TryGet("shared/plan"u8, out byte[]? value));
        Assert.Equal("launch", Encoding.UTF8.GetString(value));
        var entries = new List<AuditEntry>();
        foreach (string file in Directory.GetFiles(_directory.Path, "shared.db.*.audit"))
        {
            using SqliteAuditSink log = SqliteAuditSink.Open(file);
            Assert.True(log.Verify().IsIntact);
            entries.AddRange(log.Query(new AuditQuery { Order = AuditOrder.OldestFirst }).Select(r => r.Entry));
        }

        Assert.Single(entries, e => e.Result == AuditResult.ApprovalRequired);
        Assert.Single(entries, e => e.Reason?.StartsWith($"approval {id} granted by approver-", StringComparison.Ordinal) == true);
        Assert.Single(entries, e => e.Operation == PolicyOperation.Write && e.Result == AuditResult.Allowed && e.Reason is null);
        Assert.Equal(7, entries.Count(e => e.Reason == $"approval {id} was already used; nothing was executed"));
    }

    private static async Task<string> ReadLine(Process child, CancellationToken cancellationToken) =>
        await child.StandardOutput.ReadLineAsync(cancellationToken)
        ?? throw new InvalidOperationException($"the worker exited early: {await child.StandardError.ReadToEndAsync(cancellationToken)}");

    private static Process StartWorker(params string[] arguments)
    {
        string worker = typeof(ApprovalProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
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
