// Usage: dotnet SochDb.Policy.CrashWriter.dll <database path> [max writes]
//
// Opens the database with Durability.Full and writes until killed (or until max writes). After each write
// returns it prints one line, so every line on stdout is a write the store acknowledged:
//   put <key>            a single Put of <key> (value: the key's bytes)
//   batch <n> <keys>     a WriteBatch of <keys> puts, keys "batch/<n>/<i>", each value "<n>"
// The crash test kills this process with SIGKILL mid-stream and checks every acknowledged write is in the file.
//
// Usage: dotnet SochDb.Policy.CrashWriter.dll <database path> audit
//
// Audit mode: a guarded engine over the database, auditing into a SQLite audit table in the same file, two threads
// doing Puts of "audit/<thread>/<n>"; after every 10 Puts a thread calls FlushAudit and prints "flushed <thread> <n>":
// every entry of that thread up to n is durable. The crash test kills it and checks those entries and the chain.
//
// Usage: dotnet SochDb.Policy.CrashWriter.dll <database path> audit-async
//
// Like audit mode, with the store's default durability (an fsync per write), but nobody flushes: two threads Put "audit/<thread>/<n>" and print "put <thread> <n>" after each
// Put returns (a write the store committed). The crash test kills it and counts committed writes without an entry.
//
// Usage: dotnet SochDb.Policy.CrashWriter.dll <database path> audit-withwrite <run>
//
// WithWrite durability, store and log in the one file: two threads Put "ww/<run>/<thread>/<n>" (every tenth a batch of
// three more, "…/<n>b<i>") and Get each key back (a read, whose entry goes through the queue); after each write returns
// they print "put <key>" for each key written. The crash test kills it at random moments and checks that every
// committed write has its entry.
using System.Text;
using SochDb;
using SochDb.Policy;

if (args.Length == 3 && args[1] == "audit-withwrite")
{
    string run = args[2];
    using Database store = Database.Open(args[0], new DatabaseOptions { Durability = Durability.Normal });
    using SqliteAuditSink sink = SqliteAuditSink.Open(args[0], new SqliteAuditSinkOptions { Durability = Durability.Normal });
    using var engine = new PolicyEngine(store);
    engine.Audit.Enable(new AuditOptions { Sinks = [sink], Durability = AuditDurability.WithWrite });
    return RunWriters((thread, n, context, print) =>
    {
        string key = $"ww/{run}/{thread}/{n:D8}";
        string[] written = n % 10 == 9 ? [key + "b0", key + "b1", key + "b2"] : [key];
        if (written.Length > 1)
        {
            var batch = new WriteBatch();
            foreach (string item in written)
            {
                batch.Put(item, "v");
            }

            engine.Write(batch, context);
        }
        else
        {
            engine.Put(key, "v", context);
        }

        engine.Get(written[0], context);
        print(string.Join('\n', written.Select(item => "put " + item)));
    });
}

if (args.Length == 2 && args[1] == "audit-async")
{
    using Database store = Database.Open(args[0]);
    using SqliteAuditSink sink = SqliteAuditSink.Open(args[0]);
    using var engine = new PolicyEngine(store);
    engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
    return RunWriters((thread, n, context, print) =>
    {
        engine.Put($"audit/{thread}/{n:D8}", "v", context);
        print($"put {thread} {n}");
    });
}

if (args.Length == 2 && args[1] == "audit")
{
    using Database store = Database.Open(args[0], new DatabaseOptions { Durability = Durability.Normal });
    using SqliteAuditSink sink = SqliteAuditSink.Open(args[0]);
    using var engine = new PolicyEngine(store);
    engine.Audit.Enable(new AuditOptions { Sinks = [sink], MaxBatchSize = 7 });
    return RunWriters((thread, n, context, print) =>
    {
        engine.Put($"audit/{thread}/{n:D8}", "v", context);
        if (n % 10 == 9)
        {
            engine.Audit.Flush();
            print($"flushed {thread} {n}");
        }
    });
}

if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: SochDb.Policy.CrashWriter <database path> [max writes]");
    return 2;
}

long maxWrites = args.Length == 2 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : long.MaxValue;
const int BatchSize = 5;

using Database db = Database.Open(args[0], new DatabaseOptions { Durability = Durability.Full });
using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
stdout.WriteLine("ready");
for (long n = 0; n < maxWrites; n++)
{
    if (n % 10 == 9)
    {
        var batch = new WriteBatch();
        for (int i = 0; i < BatchSize; i++)
        {
            batch.Put($"batch/{n}/{i}", n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        db.Write(batch);
        stdout.WriteLine($"batch {n} {BatchSize}");
    }
    else
    {
        string key = $"key/{n:D8}";
        db.Put(key, key);
        stdout.WriteLine($"put {key}");
    }
}

return 0;

// Prints "ready", then runs step(thread, n, context, print) for n = 0, 1, 2, ... on two threads (agents "writer-0" and
// "writer-1") until the process is killed; print writes whole lines to stdout, one caller at a time.
static int RunWriters(Action<int, long, PolicyContext, Action<string>> step)
{
    using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
    var outputLock = new object();
    void Print(string lines)
    {
        lock (outputLock)
        {
            output.WriteLine(lines);
        }
    }

    output.WriteLine("ready");
    var threads = new Thread[2];
    for (int t = 0; t < threads.Length; t++)
    {
        int thread = t;
        threads[t] = new Thread(() =>
        {
            var context = new PolicyContext { AgentId = "writer-" + thread };
            for (long n = 0; ; n++)
            {
                step(thread, n, context, Print);
            }
        });
        threads[t].Start();
    }

    threads[0].Join();
    return 0;
}
