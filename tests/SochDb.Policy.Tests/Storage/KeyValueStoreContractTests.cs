using System.Collections.Concurrent;
using System.Text;

namespace SochDb.Policy.Tests.Storage;

/// <summary>
/// What every <see cref="IKeyValueStore"/> must do, run against each store by a subclass. The stores must be
/// indistinguishable here: same results, same exceptions.
/// </summary>
public abstract class KeyValueStoreContractTests : IDisposable
{
    private readonly List<IKeyValueStore> _opened = new();

    /// <summary>Opens a new, empty store.</summary>
    protected abstract IKeyValueStore CreateStore();

    protected IKeyValueStore Open()
    {
        IKeyValueStore store = CreateStore();
        _opened.Add(store);
        return store;
    }

    public virtual void Dispose()
    {
        foreach (IKeyValueStore store in _opened)
        {
            store.Dispose();
        }
    }

    protected static byte[] B(params int[] bytes) => bytes.Select(b => (byte)b).ToArray();

    protected static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    protected static string[] ScanKeys(IKeyValueStore store, byte[] prefix) => store.Scan(prefix).Select(e => Hex(e.Key)).ToArray();

    [Fact]
    public void PutThenGetRoundTripsBytes()
    {
        IKeyValueStore store = Open();
        byte[] value = B(0, 1, 0x80, 0xFF, 0);
        store.Put(B(0x6B), value);
        Assert.True(store.TryGet(B(0x6B), out byte[]? read));
        Assert.Equal(value, read);
    }

    [Fact]
    public void StringOverloadsUseUtf8()
    {
        IKeyValueStore store = Open();
        store.Put("users/élodie", "données");
        Assert.Equal(Encoding.UTF8.GetBytes("données"), store.Get(Encoding.UTF8.GetBytes("users/élodie")));
        Assert.Equal(Encoding.UTF8.GetBytes("données"), store.Get("users/élodie"));
    }

    [Fact]
    public void EmptyValueIsStoredAndDistinctFromAbsent()
    {
        IKeyValueStore store = Open();
        store.Put("k", ReadOnlySpan<byte>.Empty);
        Assert.True(store.TryGet("k", out byte[]? value));
        Assert.NotNull(value);
        Assert.Empty(value!);
    }

    [Fact]
    public void LargeValueRoundTrips()
    {
        IKeyValueStore store = Open();
        byte[] value = new byte[300_000];
        new Random(7).NextBytes(value);
        store.Put("big", value);
        Assert.Equal(value, store.Get("big"));
    }

    [Fact]
    public void LongestKeyIsAccepted()
    {
        IKeyValueStore store = Open();
        byte[] key = Enumerable.Repeat((byte)0x7A, KeyRules.MaxKeyLength).ToArray();
        store.Put(key, B(1));
        Assert.Equal(B(1), store.Get(key));
    }

    [Fact]
    public void PutOverwrites()
    {
        IKeyValueStore store = Open();
        store.Put("k", "one");
        store.Put("k", "two");
        Assert.Equal("two", Encoding.UTF8.GetString(store.Get("k")!));
        Assert.Single(store.Scan(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void ReturnedValuesAreCopies()
    {
        IKeyValueStore store = Open();
        byte[] written = B(1, 2, 3);
        store.Put(B(9), written);
        written[0] = 42;
        byte[] first = store.Get(B(9))!;
        first[1] = 42;
        Assert.Equal(B(1, 2, 3), store.Get(B(9)));
    }

    [Fact]
    public void TryGetOfAbsentKeyReturnsFalseAndNull()
    {
        IKeyValueStore store = Open();
        store.Put("a", "1");
        Assert.False(store.TryGet(B(0x62), out byte[]? value));
        Assert.Null(value);
        Assert.Null(store.Get("a/"));
    }

    [Fact]
    public void DeleteSaysWhetherTheKeyWasPresent()
    {
        IKeyValueStore store = Open();
        store.Put("a", "1");
        Assert.True(store.Delete("a"));
        Assert.False(store.Delete("a"));
        Assert.False(store.Delete("never"));
        Assert.Null(store.Get("a"));
    }

    [Fact]
    public void KeysDifferingOnlyInTrailingBytesAreDistinct()
    {
        IKeyValueStore store = Open();
        store.Put(B(0x61), B(1));
        store.Put(B(0x61, 0x00), B(2));
        store.Put(B(0x61, 0x00, 0x00), B(3));
        Assert.Equal(B(1), store.Get(B(0x61)));
        Assert.Equal(B(2), store.Get(B(0x61, 0x00)));
        Assert.Equal(B(3), store.Get(B(0x61, 0x00, 0x00)));
    }

    [Fact]
    public void ScanYieldsKeysInUnsignedByteOrder()
    {
        IKeyValueStore store = Open();
        byte[][] keys = [B(0xFF), B(0x80), B(0x7F), B(0x01), B(0x61, 0xFF), B(0x61), B(0x61, 0x80, 0x00), B(0x61, 0x00), B(0xC3, 0xA9)];
        foreach (byte[] key in keys)
        {
            store.Put(key, key);
        }

        string[] expected = keys.Order(ByteKeyComparer.Instance).Select(Hex).ToArray();
        Assert.Equal(["01", "61", "6100", "618000", "61FF", "7F", "80", "C3A9", "FF"], expected);
        Assert.Equal(expected, ScanKeys(store, []));
        foreach (KeyValuePair<byte[], byte[]> entry in store.Scan(ReadOnlySpan<byte>.Empty))
        {
            Assert.Equal(entry.Key, entry.Value);
        }
    }

    [Fact]
    public void ScanWithPrefixEndingInFF()
    {
        IKeyValueStore store = Open();
        foreach (byte[] key in new[] { B(0x61), B(0x61, 0xFF), B(0x61, 0xFF, 0x00), B(0x61, 0xFF, 0xFF), B(0x61, 0xFE), B(0x62), B(0x62, 0x00) })
        {
            store.Put(key, B(1));
        }

        Assert.Equal(["61FF", "61FF00", "61FFFF"], ScanKeys(store, B(0x61, 0xFF)));
        Assert.Equal(["61FFFF"], ScanKeys(store, B(0x61, 0xFF, 0xFF)));
        Assert.Equal(["61", "61FE", "61FF", "61FF00", "61FFFF"], ScanKeys(store, B(0x61)));
        Assert.Equal(["62", "6200"], ScanKeys(store, B(0x62)));
        Assert.Empty(ScanKeys(store, B(0x61, 0xFF, 0x01)));
    }

    [Fact]
    public void ScanWithPrefixOfOnlyFF()
    {
        IKeyValueStore store = Open();
        foreach (byte[] key in new[] { B(0xFE, 0xFF), B(0xFF), B(0xFF, 0x00), B(0xFF, 0xFF), B(0xFF, 0xFF, 0xFF, 0x01) })
        {
            store.Put(key, B(1));
        }

        Assert.Equal(["FF", "FF00", "FFFF", "FFFFFF01"], ScanKeys(store, B(0xFF)));
        Assert.Equal(["FFFF", "FFFFFF01"], ScanKeys(store, B(0xFF, 0xFF)));
        Assert.Equal(["FFFFFF01"], ScanKeys(store, B(0xFF, 0xFF, 0xFF)));
    }

    [Fact]
    public void ScanWithEmptyPrefixYieldsEverything()
    {
        IKeyValueStore store = Open();
        Assert.Empty(store.Scan(ReadOnlySpan<byte>.Empty));
        store.Put(B(0x00), B(1));
        store.Put(B(0xFF, 0xFF), B(2));
        store.Put("m", "3");
        Assert.Equal(["00", "6D", "FFFF"], ScanKeys(store, []));
        Assert.Equal(3, store.Scan("").Count());
    }

    [Fact]
    public void ScanWithTextPrefixSelectsOneSubtree()
    {
        IKeyValueStore store = Open();
        store.Put("users/alice", "1");
        store.Put("users/bob", "2");
        store.Put("users", "3");
        store.Put("usersX/a", "4");
        store.Put("system/config", "5");
        Assert.Equal(["users/alice", "users/bob"], store.Scan("users/").Select(e => Encoding.UTF8.GetString(e.Key)).ToArray());
        Assert.Equal(["2"], store.Scan("users/b").Select(e => Encoding.UTF8.GetString(e.Value)).ToArray());
        Assert.Empty(store.Scan("zzz"));
    }

    [Fact]
    public void ScanIsASnapshotUnaffectedByLaterWrites()
    {
        IKeyValueStore store = Open();
        store.Put("a/1", "x");
        store.Put("a/2", "y");
        IEnumerable<KeyValuePair<byte[], byte[]>> scan = store.Scan("a/");
        store.Put("a/3", "z");
        store.Delete("a/1");
        Assert.Equal(["a/1", "a/2"], scan.Select(e => Encoding.UTF8.GetString(e.Key)).ToArray());
    }

    [Fact]
    public void BatchAppliesPutsAndDeletesInOrder()
    {
        IKeyValueStore store = Open();
        store.Put("gone", "1");
        store.Put("kept", "1");
        store.Write(new WriteBatch().Put("a", "1").Put("b", "2").Delete("gone").Put("a", "3").Delete("never").Put("c", "4").Delete("c"));
        Assert.Equal(["a", "b", "kept"], store.Scan("").Select(e => Encoding.UTF8.GetString(e.Key)).ToArray());
        Assert.Equal("3", Encoding.UTF8.GetString(store.Get("a")!));
    }

    [Fact]
    public void EmptyBatchChangesNothing()
    {
        IKeyValueStore store = Open();
        store.Put("a", "1");
        store.Write(new WriteBatch());
        Assert.Single(store.Scan(""));
    }

    [Fact]
    public void BatchWithABadKeyIsRefusedAndAppliesNothing()
    {
        IKeyValueStore store = Open();
        store.Put("existing", "1");
        var batch = new WriteBatch().Put("a", "1").Delete("existing");
        ArgumentException tooLong = Assert.Throws<ArgumentException>(() => batch.Put(new byte[KeyRules.MaxKeyLength + 1], B(1)));
        Assert.Equal("key", tooLong.ParamName);
        Assert.Contains(KeyRules.MaxKeyLength.ToString(), tooLong.Message);
        ArgumentException empty = Assert.Throws<ArgumentException>(() => batch.Delete(ReadOnlySpan<byte>.Empty));
        Assert.Equal("key", empty.ParamName);
        Assert.Throws<ArgumentNullException>(() => batch.Put(null!, "v"));

        // The refused operations never entered the batch, and nothing reached the store before Write.
        Assert.Equal(2, batch.Count);
        Assert.Equal(["existing"], store.Scan("").Select(e => Encoding.UTF8.GetString(e.Key)).ToArray());
    }

    [Fact]
    public void ReadersNeverSeeHalfABatch()
    {
        IKeyValueStore store = Open();
        const int Keys = 20;
        WriteBatch Generation(int generation)
        {
            var batch = new WriteBatch();
            for (int i = 0; i < Keys; i++)
            {
                batch.Put($"batch/{i:D2}", generation.ToString());
            }

            return batch;
        }

        store.Write(Generation(0));
        using var done = new CancellationTokenSource();
        var observed = new ConcurrentBag<string>();
        var reader = new Thread(() =>
        {
            int scans = 0;
            while (!done.IsCancellationRequested || scans < 10)
            {
                string[] values = store.Scan("batch/").Select(e => Encoding.UTF8.GetString(e.Value)).ToArray();
                if (values.Length != Keys || values.Distinct().Count() != 1)
                {
                    observed.Add(string.Join(",", values));
                }

                scans++;
            }
        });
        reader.Start();

        for (int generation = 1; generation <= 100; generation++)
        {
            store.Write(Generation(generation));
        }

        done.Cancel();
        reader.Join();
        Assert.Empty(observed);
        Assert.All(store.Scan("batch/"), e => Assert.Equal("100", Encoding.UTF8.GetString(e.Value)));
    }

    [Fact]
    public void ManyThreadsWritingAndReadingAtOnce()
    {
        IKeyValueStore store = Open();
        const int Threads = 8;
        const int OpsPerThread = 500;
        var errors = new ConcurrentQueue<string>();
        using var start = new Barrier(Threads);
        Thread[] threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < OpsPerThread; i++)
            {
                string key = $"t{t}/k{i:D4}";
                store.Put(key, $"{t}:{i}");
                byte[]? mine = store.Get(key);
                if (mine is null || Encoding.UTF8.GetString(mine) != $"{t}:{i}")
                {
                    errors.Enqueue($"read-your-write failed for {key}");
                }

                // Read another thread's keys and delete some of our own while everyone writes.
                store.TryGet($"t{(t + 1) % Threads}/k{i:D4}", out _);
                if (i % 10 == 9)
                {
                    if (!store.Delete($"t{t}/k{i - 1:D4}"))
                    {
                        errors.Enqueue($"delete of t{t}/k{i - 1:D4} found nothing");
                    }
                }

                if (i % 100 == 0)
                {
                    store.Scan($"t{t}/").Count();
                }
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(errors);
        for (int t = 0; t < Threads; t++)
        {
            for (int i = 0; i < OpsPerThread; i++)
            {
                string key = $"t{t}/k{i:D4}";
                bool deleted = i % 10 == 8;
                byte[]? value = store.Get(key);
                if (deleted)
                {
                    Assert.Null(value);
                }
                else
                {
                    Assert.Equal($"{t}:{i}", value is null ? null : Encoding.UTF8.GetString(value));
                }
            }
        }

        Assert.Equal(Threads * OpsPerThread * 9 / 10, store.Scan("t").Count());
    }

    [Fact]
    public void EmptyKeyIsRejectedEverywhere()
    {
        IKeyValueStore store = Open();
        AssertKeyError(() => store.Put(ReadOnlySpan<byte>.Empty, B(1)));
        AssertKeyError(() => store.TryGet(ReadOnlySpan<byte>.Empty, out _));
        AssertKeyError(() => store.Delete(ReadOnlySpan<byte>.Empty));
        AssertKeyError(() => store.Put("", "v"));
        AssertKeyError(() => store.Get(""));
        Assert.Empty(store.Scan(""));
    }

    [Fact]
    public void OverlongKeyIsRejectedEverywhere()
    {
        IKeyValueStore store = Open();
        byte[] key = new byte[KeyRules.MaxKeyLength + 1];
        Assert.Contains("4097", AssertKeyError(() => store.Put(key, B(1))).Message);
        AssertKeyError(() => store.TryGet(key, out _));
        AssertKeyError(() => store.Delete(key));
        Assert.Empty(store.Scan(""));
    }

    [Fact]
    public void NullArgumentsAreRejected()
    {
        IKeyValueStore store = Open();
        Assert.Equal("batch", Assert.Throws<ArgumentNullException>(() => store.Write(null!)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => store.Put(null!, "v")).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentNullException>(() => store.Put("k", (string)null!)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => store.Get((string)null!)).ParamName);
        Assert.Equal("prefix", Assert.Throws<ArgumentNullException>(() => store.Scan((string)null!)).ParamName);
    }

    [Fact]
    public void UseAfterDisposeThrowsAndDisposeIsIdempotent()
    {
        IKeyValueStore store = CreateStore();
        store.Put("k", "v");
        store.Dispose();
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Put("k", "v"));
        Assert.Throws<ObjectDisposedException>(() => store.Get("k"));
        Assert.Throws<ObjectDisposedException>(() => store.Delete("k"));
        Assert.Throws<ObjectDisposedException>(() => store.Scan(""));
        Assert.Throws<ObjectDisposedException>(() => store.Write(new WriteBatch().Put("a", "b")));
        // Argument errors still win over disposal, the same in every store.
        AssertKeyError(() => store.Put(ReadOnlySpan<byte>.Empty, B(1)));
    }

    private static ArgumentException AssertKeyError(Action action)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(action);
        Assert.Equal("key", error.ParamName);
        return error;
    }
}

public sealed class InMemoryDatabaseContractTests : KeyValueStoreContractTests
{
    protected override IKeyValueStore CreateStore() => Database.OpenInMemory();
}
