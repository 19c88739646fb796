using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace SochDb.Policy.Tool.Audit;

/// <summary>One record of a decision log as a line of JSON (<c>audit export</c>, <c>audit query --format jsonl</c>).</summary>
internal sealed record AuditLine(
    long Id,
    DateTimeOffset Timestamp,
    string Operation,
    string Key,
    bool KeyMasked,
    string Result,
    string? Rule,
    string? Reason,
    string? AgentId,
    string? SessionId,
    string? TraceId,
    string? SpanId,
    string Hash)
{
    public static AuditLine From(AuditEntry e)
    {
        return new AuditLine(e.Sequence, e.Timestamp, e.Operation.ToString(), e.Key, e.IsKeyMasked, e.Result.ToString(), e.Rule, e.Reason,
            e.AgentId, e.SessionId, e.TraceId, e.SpanId, Convert.ToHexStringLower(e.Hash ?? []));
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditLine))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;

/// <summary><c>audit verify</c>, <c>audit query</c>, <c>audit export</c>: a SQLite decision log read offline.</summary>
internal static class AuditCommands
{
    public static Command Verify()
    {
        var db = DatabaseArgument();
        var table = TableOption();
        var keyFile = KeyFileOption();
        var head = new Option<string?>("--head")
        {
            Description = "A head kept outside the log, \"#<id> <64 hex digits>\", or a head file (IAuditAnchor.File; its last head is used): the log must still reach it, so a log cut short, emptied or re-chained up to it is found.",
        };
        var command = new Command("verify",
            "Walks the hash chain from its checkpoint to the newest entry. Exit code: 0 intact, 1 broken (the first broken entry is named), 3 unreadable.")
        {
            db, table, head, keyFile,
        };
        command.SetAction(parse =>
        {
            AuditHead? expected = null;
            if (parse.GetValue(head) is { } headText)
            {
                if (!TryReadHead(headText, out expected, out string? problem))
                {
                    return Commands.CannotRunBecause(problem!);
                }
            }

            return WithLog(parse.GetValue(db)!, parse.GetValue(table)!, parse.GetValue(keyFile), log =>
            {
                AuditVerification result = expected is null ? log.Verify() : log.Verify(expected);
                if (result.IsIntact)
                {
                    string reaches = expected is null ? "" : $"; reaches the anchored head {expected}";
                    Console.Out.WriteLine($"intact: {result.EntriesChecked} entries checked after checkpoint #{result.CheckpointId}; head {result.Head}{reaches}");
                    return 0;
                }

                Console.Out.WriteLine($"broken at entry #{result.FirstBrokenId}: {result.Problem} ({result.EntriesChecked} entries checked)");
                return 1;
            });
        });
        return command;
    }

    public static Command Query()
    {
        var db = DatabaseArgument();
        var table = TableOption();
        var agent = new Option<string?>("--agent") { Description = "Only this agent id's entries." };
        var session = new Option<string?>("--session") { Description = "Only this session id's entries." };
        var result = new Option<string?>("--result") { Description = "Only this result: Allowed, Denied, Modified, RateLimited, Failed, WouldDeny, ApprovalRequired, EntriesDropped." };
        var rule = new Option<string?>("--rule") { Description = "Only entries decided by this rule." };
        var since = new Option<string?>("--since") { Description = "Only entries at or after this time: an ISO 8601 timestamp (UTC unless it says) or an age such as 30m, 12h, 7d." };
        var limit = new Option<int>("--limit") { Description = "At most this many entries (newest first).", DefaultValueFactory = _ => 50 };
        var oldestFirst = new Option<bool>("--oldest-first") { Description = "Oldest first instead of newest first." };
        var format = new Option<string>("--format") { Description = "text (default) or jsonl.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "jsonl");
        var keyFile = KeyFileOption();
        var command = new Command("query", "Lists the entries of a decision log matching the filters, newest first.")
        {
            db, table, agent, session, result, rule, since, limit, oldestFirst, format, keyFile,
        };
        command.SetAction(parse =>
        {
            string? resultText = parse.GetValue(result);
            AuditResult? parsedResult = null;
            if (resultText is not null)
            {
                if (!Enum.TryParse(resultText, ignoreCase: true, out AuditResult r) || !Enum.IsDefined(r) || int.TryParse(resultText, out _))
                {
                    Console.Error.WriteLine($"sochdb-policy: --result \"{resultText}\" is not a result (expected {string.Join(", ", Enum.GetNames<AuditResult>())})");
                    return 1;
                }

                parsedResult = r;
            }

            DateTimeOffset? from = null;
            if (parse.GetValue(since) is { } sinceText)
            {
                if (!TryParseSince(sinceText, DateTimeOffset.UtcNow, out DateTimeOffset parsed))
                {
                    Console.Error.WriteLine($"sochdb-policy: --since \"{sinceText}\" is neither a timestamp (2026-12-01T08:00:00Z) nor an age (30m, 12h, 7d)");
                    return 1;
                }

                from = parsed;
            }

            int max = parse.GetValue(limit);
            if (max < 1)
            {
                Console.Error.WriteLine("sochdb-policy: --limit must be at least 1");
                return 1;
            }

            var query = new AuditQuery
            {
                AgentId = parse.GetValue(agent),
                SessionId = parse.GetValue(session),
                Result = parsedResult,
                Rule = parse.GetValue(rule),
                From = from,
                OldestFirst = parse.GetValue(oldestFirst),
                PageSize = Math.Min(max, 1024),
            };
            bool jsonl = parse.GetValue(format) == "jsonl";
            return WithLog(parse.GetValue(db)!, parse.GetValue(table)!, parse.GetValue(keyFile), log =>
            {
                int count = 0;
                foreach (AuditEntry entry in log.Query(query))
                {
                    Console.Out.WriteLine(jsonl ? Json(entry) : $"#{entry.Sequence} {entry}");
                    if (++count == max)
                    {
                        break;
                    }
                }

                return 0;
            });
        });
        return command;
    }

    public static Command Export()
    {
        var db = DatabaseArgument();
        var table = TableOption();
        var format = new Option<string>("--format") { Description = "jsonl: one JSON object per entry, oldest first.", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl");
        var output = new Option<FileInfo?>("--output") { Description = "Write to this file instead of standard output." };
        var keyFile = KeyFileOption();
        var command = new Command("export", "Writes every entry of a decision log, oldest first, streaming (the log is never loaded whole).")
        {
            db, table, format, output, keyFile,
        };
        command.SetAction(parse => WithLog(parse.GetValue(db)!, parse.GetValue(table)!, parse.GetValue(keyFile), log =>
        {
            FileInfo? target = parse.GetValue(output);
            using TextWriter writer = target is null ? new StreamWriter(Console.OpenStandardOutput()) : new StreamWriter(target.FullName);
            foreach (AuditEntry record in log.Query(new AuditQuery { OldestFirst = true, PageSize = 1024 }))
            {
                writer.WriteLine(Json(record));
            }

            return 0;
        }));
        return command;
    }

    /// <summary>An ISO 8601 timestamp (UTC unless it carries an offset) or an age before <paramref name="now"/>: <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c>.</summary>
    internal static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long amount))
        {
            TimeSpan? age = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (age is { } a)
            {
                since = now - a;
                return true;
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since);
    }

    /// <summary>Whether the file holds the log's table, asked read-only (opening the log itself would create the table).</summary>
    private static bool HasTable(string path, string table)
    {
        string connection = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var sqlite = new SqliteConnection(connection);
        sqlite.Open();
        using SqliteCommand command = sqlite.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $table";
        command.Parameters.AddWithValue("$table", table);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    private static readonly AuditJsonContext JsonContext =
        new(new JsonSerializerOptions(AuditJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static string Json(AuditEntry entry) => JsonSerializer.Serialize(AuditLine.From(entry), JsonContext.AuditLine);

    private static Argument<FileInfo> DatabaseArgument() => new("db") { Description = "The SQLite file holding the decision log." };

    private static Option<string> TableOption() => new("--table")
    {
        Description = "The log's table.",
        DefaultValueFactory = _ => SqliteAuditSink.DefaultTableName,
    };

    private static Option<FileInfo?> KeyFileOption() => new("--key-file")
    {
        Description = "The log's chain key (SqliteAuditSinkOptions.ChainKey), kept outside the log: a file holding its bytes, or their hex or base64 text.",
    };

    /// <summary>A head given as text (<c>#id hex</c>) or as the path of a head file (its last complete head).</summary>
    internal static bool TryReadHead(string text, out AuditHead? head, out string? problem)
    {
        head = null;
        problem = null;
        try
        {
            if (text.TrimStart().StartsWith('#'))
            {
                head = AuditHead.Parse(text);
                return true;
            }

            if (!File.Exists(text))
            {
                problem = $"--head \"{text}\" is neither a head (#<id> <64 hex digits>) nor an existing head file";
                return false;
            }

            head = AuditHead.ReadLast(text);
            if (head is null)
            {
                problem = $"the head file {Path.GetFullPath(text)} holds no complete head";
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            problem = $"--head: {e.Message}";
            return false;
        }
    }

    /// <summary>The key in <paramref name="file"/>: its text when that is hex or base64 (one line), else its bytes.</summary>
    internal static byte[] ReadKey(FileInfo file)
    {
        byte[] bytes = File.ReadAllBytes(file.FullName);
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).Trim();
        }
        catch (ArgumentException)
        {
            return bytes;
        }

        if (text.Length >= 32 && text.Length % 2 == 0 && text.All(Uri.IsHexDigit))
        {
            return Convert.FromHexString(text);
        }

        Span<byte> decoded = new byte[text.Length];
        return text.Length >= 16 && Convert.TryFromBase64String(text, decoded, out int written) ? decoded[..written].ToArray() : bytes;
    }

    /// <summary>Opens an existing log (never creates one), runs <paramref name="action"/>, and turns an unreadable file into exit code 3.</summary>
    private static int WithLog(FileInfo db, string table, FileInfo? keyFile, Func<SqliteAuditSink, int> action)
    {
        if (!db.Exists)
        {
            return Commands.CannotRunBecause($"no such file: {db.FullName}");
        }

        if (keyFile is { Exists: false })
        {
            return Commands.CannotRunBecause($"no such key file: {keyFile.FullName}");
        }

        try
        {
            if (!HasTable(db.FullName, table))
            {
                return Commands.CannotRunBecause($"{db.FullName} holds no decision log (no table \"{table}\"; give --table if it has another name)");
            }

            byte[]? key = keyFile is null ? null : ReadKey(keyFile);
            using SqliteAuditSink log = SqliteAuditSink.Open(db.FullName, new SqliteAuditSinkOptions { TableName = table, ChainKey = key });
            return action(log);
        }
        catch (SqliteException e)
        {
            return Commands.CannotRunBecause($"cannot read the decision log {db.FullName}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            return Commands.CannotRunBecause($"cannot read the decision log {db.FullName}: {e.Message}");
        }
    }
}
