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
using System.Text;
using SochDb;
using SochDb.Policy;

if (args.Length == 2 && args[1] == "audit-async")
{
    using Database store = Database.Open(args[0]);
    using SqliteAuditSink sink = SqliteAuditSink.Open(args[0]);
    using var engine = new PolicyEngine(store);
    engine.Audit.Enable(new AuditOptions { Sinks = [sink] });
    using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
    var outputLock = new object();
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
                engine.Put($"audit/{thread}/{n:D8}", "v", context);
                lock (outputLock)
                {
                    output.WriteLine($"put {thread} {n}");
                }
            }
        });
        threads[t].Start();
    }

    threads[0].Join();
    return 0;
}

if (args.Length == 2 && args[1] == "audit")
{
    using Database store = Database.Open(args[0], new DatabaseOptions { Durability = Durability.Normal });
    using SqliteAuditSink sink = SqliteAuditSink.Open(args[0]);
    using var engine = new PolicyEngine(store);
    engine.Audit.Enable(new AuditOptions { Sinks = [sink], MaxBatchSize = 7 });
    using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
    var outputLock = new object();
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
                engine.Put($"audit/{thread}/{n:D8}", "v", context);
                if (n % 10 == 9)
                {
                    engine.Audit.Flush();
                    lock (outputLock)
                    {
                        output.WriteLine($"flushed {thread} {n}");
                    }
                }
            }
        });
        threads[t].Start();
    }

    threads[0].Join();
    return 0;
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
