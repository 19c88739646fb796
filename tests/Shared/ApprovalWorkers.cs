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
    /// with <paramref name="afterKill"/>, then lets eight workers approve it at once; returns the id, their outcomes and
    /// their exit codes (sorted).
    /// </summary>
    public static async Task<(string Id, List<string> Outcomes, List<int> ExitCodes)> KillRequesterThenRace(string store, string key,
        IReadOnlyDictionary<string, string>? environment, Action<string> afterKill, CancellationToken cancellationToken)
    {
        string id;
        using (ChildProcess requester = ChildProcess.Start("ApprovalWorkerPath", environment, "request", store, key))
        {
            string line = await requester.ReadLine(cancellationToken);
            Assert.StartsWith("requested ", line);
            id = line["requested ".Length..];
            await requester.KillAndDrain(cancellationToken);
        }

        afterKill(id);

        var approvers = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                approvers.Add(ChildProcess.Start("ApprovalWorkerPath", environment, "approve", store, id, "approver-" + i));
            }

            foreach (ChildProcess approver in approvers)
            {
                Assert.Equal("ready", await approver.ReadLine(cancellationToken));
            }

            foreach (ChildProcess approver in approvers)
            {
                await approver.WriteLine("go", cancellationToken);
            }

            var outcomes = new List<string>();
            foreach (ChildProcess approver in approvers)
            {
                outcomes.Add(await approver.ReadLine(cancellationToken));
                await approver.Process.WaitForExitAsync(cancellationToken);
            }

            return (id, outcomes, approvers.Select(p => p.Process.ExitCode).Order().ToList());
        }
        finally
        {
            foreach (ChildProcess approver in approvers)
            {
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
            entries.AddRange(log.Query(new AuditQuery { OldestFirst = true }));
        }

        return entries;
    }
}
