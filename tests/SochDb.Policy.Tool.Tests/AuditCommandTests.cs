using System.Text.Json;
using Microsoft.Data.Sqlite;
using SochDb;

namespace SochDb.Policy.Tool.Tests;

/// <summary><c>sochdb-policy audit verify|query|export</c> run as processes on a real SQLite decision log.</summary>
public sealed class AuditCommandTests
{
    private static readonly byte[] ChainKey = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>A log of 6 entries: writes by agents a and b (1 denied), and reads; keyed with <see cref="ChainKey"/> when asked.</summary>
    private static string CreateLog(TempDirectory dir, bool keyed = false)
    {
        string path = dir.File("audit.db");
        using (SqliteAuditSink sink = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { Durability = Durability.Normal, ChainKey = keyed ? ChainKey : null }))
        using (Database store = Database.OpenInMemory())
        using (var engine = new PolicyEngine(store))
        {
            engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
            engine.BeforeWrite("system/**", Policies.DenyAll);
            var a = new PolicyContext { AgentId = "a", SessionId = "s1" };
            var b = new PolicyContext { AgentId = "b" };
            engine.Put("notes/1", "x", a);
            engine.Put("notes/2", "x", b);
            Assert.Throws<PolicyViolationException>(() => engine.Put("system/x", "x", a));
            engine.Get("notes/1", a);
            engine.Get("notes/2", b);
            engine.Put("notes/3", "x", a);
            engine.Audit.Flush();
        }

        return path;
    }

    [Fact]
    public void Verify_says_intact_and_exits_0()
    {
        using var dir = new TempDirectory();
        CreateLog(dir);

        ToolRun run = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("intact: 6 entries checked after checkpoint #0; head #6 ", run.Lines[0]);
    }

    [Fact]
    public void Verify_names_the_first_broken_entry_and_exits_1()
    {
        using var dir = new TempDirectory();
        string path = CreateLog(dir);
        Sql(path, "UPDATE sochdb_audit SET agent_id = 'c' WHERE id = 4");

        ToolRun run = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("broken at entry #4: ", run.Lines[0]);
    }

    [Fact]
    public void Verify_with_an_anchored_head_finds_a_log_cut_short()
    {
        using var dir = new TempDirectory();
        string path = CreateLog(dir);
        string head = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db").Lines[0].Split("; head ")[1];
        Assert.Matches("^#6 [0-9a-f]{64}$", head);
        IAuditAnchor.File(dir.File("heads.log")).Publish(AuditHead.Parse(head));
        Assert.Equal(0, ToolProcess.Run(dir.Path, "audit", "verify", "audit.db", "--head", head).ExitCode);

        Sql(path, "DELETE FROM sochdb_audit WHERE id >= 5");

        ToolRun alone = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db");
        ToolRun anchored = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db", "--head", head);
        ToolRun fromFile = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db", "--head", "heads.log");
        ToolRun bad = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db", "--head", "#6 beef");

        Assert.Equal(0, alone.ExitCode); // a log cut at its newest end still verifies on its own ...
        Assert.True(anchored.ExitCode == 1, anchored.ToString()); // ... but no longer reaches its head
        Assert.StartsWith("broken at entry #", anchored.Lines[0]);
        Assert.Equal(anchored.Lines, fromFile.Lines);
        Assert.Equal(3, bad.ExitCode);
        Assert.Contains("not an audit head", bad.Error);
    }

    [Fact]
    public void A_keyed_log_verifies_only_with_its_key_file()
    {
        using var dir = new TempDirectory();
        CreateLog(dir, keyed: true);
        dir.Write("chain.key", Convert.ToHexStringLower(ChainKey) + "\n");
        File.WriteAllBytes(dir.File("chain.bin"), ChainKey);

        ToolRun withoutKey = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db");
        ToolRun hexKey = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db", "--key-file", "chain.key");
        ToolRun rawKey = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db", "--key-file", "chain.bin");
        ToolRun export = ToolProcess.Run(dir.Path, "audit", "export", "audit.db", "--key-file", "chain.key");
        ToolRun missingKey = ToolProcess.Run(dir.Path, "audit", "verify", "audit.db", "--key-file", "nope.key");

        Assert.Equal(1, withoutKey.ExitCode);
        Assert.Contains("chain key", withoutKey.Output);
        Assert.True(hexKey.ExitCode == 0, hexKey.ToString());
        Assert.StartsWith("intact: 6 entries", hexKey.Lines[0]);
        Assert.Equal(0, rawKey.ExitCode);
        Assert.Equal(6, export.Lines.Length);
        Assert.Equal(3, missingKey.ExitCode);
    }

    [Fact]
    public void Verify_of_a_file_without_a_log_creates_nothing_and_exits_3()
    {
        using var dir = new TempDirectory();
        string path = dir.File("other.db");
        Sql(path, "CREATE TABLE t (x)");

        ToolRun run = ToolProcess.Run(dir.Path, "audit", "verify", "other.db");
        ToolRun missing = ToolProcess.Run(dir.Path, "audit", "verify", "missing.db");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("no table \"sochdb_audit\"", run.Error);
        Assert.Equal(0L, Sql(path, "SELECT count(*) FROM sqlite_master WHERE name = 'sochdb_audit'"));
        Assert.Equal(3, missing.ExitCode);
        Assert.False(File.Exists(dir.File("missing.db")));
    }

    [Fact]
    public void Query_filters_by_agent_and_result_newest_first_with_a_limit()
    {
        using var dir = new TempDirectory();
        CreateLog(dir);

        ToolRun byAgent = ToolProcess.Run(dir.Path, "audit", "query", "audit.db", "--agent", "a", "--limit", "2");
        ToolRun denied = ToolProcess.Run(dir.Path, "audit", "query", "audit.db", "--result", "denied", "--format", "jsonl");
        ToolRun recent = ToolProcess.Run(dir.Path, "audit", "query", "audit.db", "--since", "1h", "--oldest-first");
        ToolRun future = ToolProcess.Run(dir.Path, "audit", "query", "audit.db", "--since", "2999-01-01T00:00:00Z");

        Assert.True(byAgent.ExitCode == 0, byAgent.ToString());
        Assert.Equal(2, byAgent.Lines.Length);
        Assert.StartsWith("#6 ", byAgent.Lines[0]);
        Assert.StartsWith("#4 ", byAgent.Lines[1]);
        using JsonDocument line = JsonDocument.Parse(Assert.Single(denied.Lines));
        Assert.Equal("system/x", line.RootElement.GetProperty("key").GetString());
        Assert.Equal("Denied", line.RootElement.GetProperty("result").GetString());
        Assert.Equal(3, line.RootElement.GetProperty("id").GetInt64());
        Assert.Equal(6, recent.Lines.Length);
        Assert.StartsWith("#1 ", recent.Lines[0]);
        Assert.Empty(future.Lines);
    }

    [Fact]
    public void Query_refuses_an_unknown_result_or_time()
    {
        using var dir = new TempDirectory();
        CreateLog(dir);

        ToolRun result = ToolProcess.Run(dir.Path, "audit", "query", "audit.db", "--result", "denyed");
        ToolRun since = ToolProcess.Run(dir.Path, "audit", "query", "audit.db", "--since", "yesterday");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--result \"denyed\" is not a result", result.Error);
        Assert.Equal(1, since.ExitCode);
        Assert.Contains("--since \"yesterday\"", since.Error);
    }

    [Fact]
    public void Export_writes_every_entry_oldest_first_as_json_lines()
    {
        using var dir = new TempDirectory();
        CreateLog(dir);

        ToolRun run = ToolProcess.Run(dir.Path, "audit", "export", "audit.db", "--format", "jsonl");
        ToolRun toFile = ToolProcess.Run(dir.Path, "audit", "export", "audit.db", "--output", "log.jsonl");

        Assert.True(run.ExitCode == 0, run.ToString());
        var entries = run.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1L, 2, 3, 4, 5, 6], entries.Select(e => e.GetProperty("id").GetInt64()));
        Assert.Equal(["a", "b", "a", "a", "b", "a"], entries.Select(e => e.GetProperty("agentId").GetString()));
        Assert.All(entries, e => Assert.Equal(64, e.GetProperty("hash").GetString()!.Length));
        Assert.Equal("s1", entries[0].GetProperty("sessionId").GetString());
        Assert.Equal(0, toFile.ExitCode);
        Assert.Equal(run.Lines, File.ReadAllLines(dir.File("log.jsonl")));
    }

    /// <summary>Runs SQL against the file from outside the tool (as an attacker or an auditor would); returns the first value.</summary>
    private static object? Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
