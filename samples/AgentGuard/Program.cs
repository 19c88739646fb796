using System.Text;
using SochDb;

// The embedded store an agent's memory lives in: one SQLite file (WAL mode) in the current directory.
using Database db = Database.Open("./agent_data");

db.Put("users/alice/profile", "Alice, prefers short answers");
db.Put("users/alice/email", "alice@example.com");
db.Put("users/bob/profile", "Bob, asks about invoices");
db.Put("system/config", "{\"model\": \"small\"}");
Console.WriteLine("wrote 4 keys to ./agent_data");

byte[]? email = db.Get("users/alice/email");
Console.WriteLine($"read users/alice/email = {(email is null ? "(absent)" : Encoding.UTF8.GetString(email))}");

Console.WriteLine("scan of users/alice/:");
foreach (KeyValuePair<byte[], byte[]> entry in db.Scan("users/alice/"))
{
    Console.WriteLine($"  {Encoding.UTF8.GetString(entry.Key)} = {Encoding.UTF8.GetString(entry.Value)}");
}
