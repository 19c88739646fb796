// Usage: dotnet SochDb.Policy.CrashWriter.dll <database path> [max writes]
//
// Opens the database with Durability.Full and writes until killed (or until max writes). After each write
// returns it prints one line, so every line on stdout is a write the store acknowledged:
//   put <key>            a single Put of <key> (value: the key's bytes)
//   batch <n> <keys>     a WriteBatch of <keys> puts, keys "batch/<n>/<i>", each value "<n>"
// The crash test kills this process with SIGKILL mid-stream and checks every acknowledged write is in the file.
using System.Text;
using SochDb;

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
