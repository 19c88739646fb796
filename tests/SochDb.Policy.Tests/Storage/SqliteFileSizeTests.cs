using System.Text;

namespace SochDb.Policy.Tests.Storage;

/// <summary>
/// The file stays close to the size of what it holds. In the earlier <c>WITHOUT ROWID</c> layout, 10,000 values of
/// 1 KiB took a file of 4.5 times the payload (every entry spilled into an overflow page of its own).
/// </summary>
public sealed class SqliteFileSizeTests : IDisposable
{
    private const int Entries = 10_000;

    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    // Larger values are measured in docs/storage.md.
    [Theory]
    [InlineData(100)]
    [InlineData(1024)]
    public void FileIsAtMostOneAndAHalfTimesThePayload(int valueLength)
    {
        string path = _directory.File($"size{valueLength}.db");
        long payload;
        using (Database db = Database.Open(path, new DatabaseOptions { Durability = Durability.Normal }))
        {
            payload = Fill(db, valueLength, Entries);
        }

        long size = new FileInfo(path).Length;
        double ratio = (double)size / payload;
        Assert.True(ratio <= 1.5, $"{Entries} values of {valueLength} bytes: file {size:N0} bytes for {payload:N0} bytes of payload ({ratio:F2}x)");
    }

    [Fact]
    public void OneKibibyteValuesNoLongerTakeFourTimesThePayload()
    {
        // The same data in both layouts: the earlier one is the defect, the current one the fix (fewer entries than
        // above, which changes the ratios little and keeps the earlier layout's large file out of the test run).
        const int Count = 2000;
        string legacy = _directory.File("legacy.db");
        string current = _directory.File("current.db");
        SqliteLegacyLayout.Create(legacy);
        long payload;
        using (Database db = Database.Open(legacy, new DatabaseOptions { Durability = Durability.Normal }))
        {
            payload = Fill(db, 1024, Count);
        }

        using (Database db = Database.Open(current, new DatabaseOptions { Durability = Durability.Normal }))
        {
            Assert.Equal(payload, Fill(db, 1024, Count));
        }

        double legacyRatio = (double)new FileInfo(legacy).Length / payload;
        double currentRatio = (double)new FileInfo(current).Length / payload;
        Assert.True(legacyRatio > 4, $"the earlier layout took {legacyRatio:F2}x");
        Assert.True(currentRatio <= 1.5, $"the current layout takes {currentRatio:F2}x");
    }

    /// <summary>Writes <paramref name="count"/> entries in a shuffled order, as an application would; returns the payload in bytes.</summary>
    private static long Fill(Database db, int valueLength, int count)
    {
        var random = new Random(valueLength);
        int[] order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        var batch = new WriteBatch();
        long payload = 0;
        foreach (int i in order)
        {
            byte[] key = Encoding.UTF8.GetBytes($"users/{i:D7}/profile");
            byte[] value = new byte[valueLength];
            random.NextBytes(value);
            batch.Put(key, value);
            payload += key.Length + value.Length;
        }

        db.Write(batch);
        return payload;
    }
}
