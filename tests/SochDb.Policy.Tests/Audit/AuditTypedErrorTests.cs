using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SochDb.Policy.Tests.Storage;

namespace SochDb.Policy.Tests.Audit;

/// <summary>
/// A damaged audit file is reported as <see cref="InvalidDataException"/> naming it, from every read path; a path
/// that is not a regular file is refused at open instead of blocking.
/// </summary>
public sealed class AuditTypedErrorTests : IDisposable
{
    private const int PageSize = 4096;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void ADamagedAuditFile_IsReportedAsCorrupt_NamingTheFile_ByVerifyQueryAndReadPage()
    {
        string path = _directory.File("damaged-audit.db");
        using (SqliteAuditSink sink = SqliteAuditSink.Open(path, new SqliteAuditSinkOptions { Durability = Durability.Normal }))
        {
            var batch = Enumerable.Range(0, 5_000)
                .Select(i => new AuditEntry(i, DateTimeOffset.UnixEpoch.AddSeconds(i), PolicyOperation.Write, System.Text.Encoding.UTF8.GetBytes($"k/{i:D6}"),
                    AuditResult.Allowed, "agent", "session", null, new string('r', 100)))
                .ToList();
            sink.Write(batch);
        }

        long pages = new FileInfo(path).Length / PageSize;
        Assert.True(pages > 100, $"the audit file has only {pages} pages");
        byte[] noise = new byte[16 * PageSize];
        new Random(7).NextBytes(noise);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = pages / 2 * PageSize;
            file.Write(noise);
        }

        using SqliteAuditSink damaged = SqliteAuditSink.Open(path);
        var reads = new List<Action>
        {
            () => damaged.Verify(),
            () => damaged.Query(new AuditQuery { OldestFirst = true }).Count(),
            () => damaged.Query(new AuditQuery { AgentId = "agent" }).Count(),
            () => damaged.Query(new AuditQuery { From = DateTimeOffset.UnixEpoch.AddSeconds(2_000) }).Count(),
            () => damaged.ReadPage(new AuditQuery { OldestFirst = true, After = 2_400, PageSize = 512 }),
        };
        int met = 0;
        foreach (Action read in reads)
        {
            try
            {
                read();
            }
            catch (InvalidDataException error)
            {
                Assert.Equal(typeof(InvalidDataException), error.GetType());
                Assert.Contains(path, error.Message);
                Assert.IsType<SqliteException>(error.InnerException);
                met++;
            }
        }

        Assert.True(met >= 3, $"only {met} of {reads.Count} reads met the damage");
    }

    [Fact]
    public async Task AFifo_IsRefusedAtOpen_ByTheStoreAndByTheAuditLog()
    {
        string fifo = _directory.File("pipe.db");
        using (Process mkfifo = Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync().WaitAsync(Bound);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // Opening a FIFO to read waits for a writer forever: a hang shows as a TimeoutException here.
        ArgumentException store = await Assert.ThrowsAsync<ArgumentException>(() => Task.Run(() => Database.Open(fifo)).WaitAsync(Bound));
        Assert.Contains("FIFO", store.Message);
        Assert.Contains(fifo, store.Message);
        ArgumentException log = await Assert.ThrowsAsync<ArgumentException>(() => Task.Run(() => SqliteAuditSink.Open(fifo)).WaitAsync(Bound));
        Assert.Contains("FIFO", log.Message);
        Assert.True(File.Exists(fifo), "the FIFO was removed");
    }

    [Fact]
    public void ADevice_IsRefusedAtOpen()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Database.Open("/dev/null"));
        Assert.Contains("character device", error.Message);
    }
}
