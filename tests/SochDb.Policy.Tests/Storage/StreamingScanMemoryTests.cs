namespace SochDb.Policy.Tests.Storage;

/// <summary>Alone in the process while it runs: its live-heap measurements must not see other tests' garbage.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    public const string Name = "Heap measurements";
}

/// <summary>
/// A scan streams: while 200,000 entries (about 23 MB of keys and values; 38 MB of live objects when a scan read them
/// all at once) go by, the live managed heap stays within 1 MiB of what it was before Scan was called (measured: about
/// 50-70 KB, one page).
/// </summary>
[Trait("Category", "Slow")]
[Collection(HeapMeasurementCollection.Name)]
public sealed class StreamingScanMemoryTests : IDisposable
{
    private const int Entries = 200_000;
    private const int ValueLength = 100;
    private const int SampleEvery = 20_000;

    // A page here is 256 entries of about 120 bytes; the bound leaves room for the connection's and the runtime's own
    // buffers and is a twentieth of the range's payload alone.
    private const long HeapGrowthBound = 1 << 20;

    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task SqliteScanAndScanAsyncOfTheWholeRangeKeepTheLiveHeapBounded()
    {
        using Database db = Database.Open(_directory.File("big.db"), new DatabaseOptions { Durability = Durability.Normal });
        Fill(db);
        AssertScanKeepsHeapBounded(() => db.Scan(ReadOnlySpan<byte>.Empty));

        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        var samples = new List<long>();
        int count = 0;
        await foreach (KeyValuePair<byte[], byte[]> entry in ((IKeyValueStore)db).ScanAsync("entries/"u8.ToArray()))
        {
            Sample(ref count, entry, samples);
        }

        AssertBounded(baseline, samples, count);
    }

    [Fact]
    public void InMemoryScanOfTheWholeRangeKeepsTheLiveHeapBounded()
    {
        // The store itself holds every entry; what must not grow is a copy of the range made for the scan.
        using Database db = Database.OpenInMemory();
        Fill(db);
        AssertScanKeepsHeapBounded(() => db.Scan("entries/"));
    }

    private static void Fill(Database db)
    {
        var batch = new WriteBatch();
        byte[] value = new byte[ValueLength];
        for (int i = 0; i < Entries; i++)
        {
            value[0] = (byte)i;
            batch.Put(System.Text.Encoding.UTF8.GetBytes($"entries/{i:D7}"), value);
        }

        db.Write(batch);
    }

    private static void AssertScanKeepsHeapBounded(Func<IEnumerable<KeyValuePair<byte[], byte[]>>> scan)
    {
        // The baseline is taken before Scan is called, so a store that read the range eagerly would show it here.
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        var samples = new List<long>();
        int count = 0;
        foreach (KeyValuePair<byte[], byte[]> entry in scan())
        {
            Sample(ref count, entry, samples);
        }

        AssertBounded(baseline, samples, count);
    }

    private static void Sample(ref int count, KeyValuePair<byte[], byte[]> entry, List<long> samples)
    {
        if (entry.Value.Length != ValueLength || entry.Value[0] != (byte)count)
        {
            throw new InvalidOperationException($"entry {count} is not the one written there");
        }

        count++;
        if (count % SampleEvery == 0)
        {
            samples.Add(GC.GetTotalMemory(forceFullCollection: true));
        }
    }

    private static void AssertBounded(long baseline, List<long> samples, int count)
    {
        Assert.Equal(Entries, count);
        Assert.Equal(Entries / SampleEvery, samples.Count);
        long growth = samples.Max() - baseline;
        Assert.True(
            growth < HeapGrowthBound,
            $"the live heap grew by {growth:N0} bytes during the scan (samples: {string.Join(", ", samples.Select(s => (s - baseline).ToString("N0")))}); bound {HeapGrowthBound:N0}");
    }
}
