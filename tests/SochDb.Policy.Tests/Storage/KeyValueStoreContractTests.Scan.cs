using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace SochDb.Policy.Tests.Storage;

/// <summary>The store contract: Scan (order, prefixes, edge bytes).</summary>
public abstract partial class KeyValueStoreContractTests
{
    [Fact]
    public void ScanYieldsKeysInUnsignedByteOrder()
    {
        IKeyValueStore store = Open();
        byte[][] keys = [B(0xFF), B(0x80), B(0x7F), B(0x01), B(0x61, 0xFF), B(0x61), B(0x61, 0x80, 0x00), B(0x61, 0x00), B(0xC3, 0xA9)];
        foreach (byte[] key in keys)
        {
            store.Put(key, key);
        }

        string[] expected = keys.Order(Comparer<byte[]>.Create(CompareKeys)).Select(Hex).ToArray();
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
    public void NonUtf8KeysAreStoredAndScannedByteExact()
    {
        IKeyValueStore store = Open();

        // Edge bytes alone, inside and at the end of keys, and sequences that are not valid UTF-8 (overlong NUL,
        // a lone surrogate, a truncated sequence, bytes that never occur in UTF-8).
        byte[][] keys =
        [
            B(0x00), B(0x00, 0x00), B(0x00, 0xFF), B(0x7F), B(0x7F, 0x00), B(0x80), B(0x80, 0x7F), B(0x80, 0x80),
            B(0xFF), B(0xFF, 0x00), B(0xFF, 0x7F), B(0xFF, 0x80), B(0xFF, 0xFF), B(0xC0, 0x80), B(0xED, 0xA0, 0x80),
            B(0xE2, 0x82), B(0xFE, 0xFE), B(0x61, 0x00, 0x62), B(0x61, 0x80, 0x62), B(0x61, 0xFF, 0x62),
        ];
        foreach (byte[] key in keys.Reverse())
        {
            store.Put(key, key.Concat(B(0x00, 0xFF)).ToArray());
        }

        byte[][] ordered = keys.Order(Comparer<byte[]>.Create(CompareKeys)).ToArray();
        KeyValuePair<byte[], byte[]>[] scanned = store.Scan(ReadOnlySpan<byte>.Empty).ToArray();
        Assert.Equal(ordered.Select(Hex), scanned.Select(e => Hex(e.Key)));
        Assert.All(scanned, e => Assert.Equal(Hex(e.Key) + "00FF", Hex(e.Value)));
        foreach (byte[] key in keys)
        {
            Assert.Equal(key.Concat(B(0x00, 0xFF)).ToArray(), store.Get(key));
        }

        Assert.Equal(["00", "0000", "00FF"], ScanKeys(store, B(0x00)));
        Assert.Equal(["7F", "7F00"], ScanKeys(store, B(0x7F)));
        Assert.Equal(["80", "807F", "8080"], ScanKeys(store, B(0x80)));
        Assert.Equal(["FF", "FF00", "FF7F", "FF80", "FFFF"], ScanKeys(store, B(0xFF)));
        Assert.Equal(["610062"], ScanKeys(store, B(0x61, 0x00)));
        Assert.Equal(["61FF62"], ScanKeys(store, B(0x61, 0xFF)));
        Assert.Equal(["C080"], ScanKeys(store, B(0xC0)));
        Assert.Empty(ScanKeys(store, B(0x00, 0x01)));
    }

    [Fact]
    public void KeysOfMaximumLengthAreOrderedAndScannedByPrefix()
    {
        IKeyValueStore store = Open();
        byte[] Key(byte last, byte fill = 0x80)
        {
            byte[] key = Enumerable.Repeat(fill, MaxKeyLength).ToArray();
            key[^1] = last;
            return key;
        }

        foreach (byte last in new byte[] { 0xFF, 0x00, 0x80, 0x7F })
        {
            store.Put(Key(last), B(last));
        }

        store.Put(Key(0x00, fill: 0xFF), B(1));
        byte[] prefix = Enumerable.Repeat((byte)0x80, MaxKeyLength - 1).ToArray();
        Assert.Equal([B(0x00), B(0x7F), B(0x80), B(0xFF)], store.Scan(prefix).Select(e => e.Value).ToArray());
        Assert.All(store.Scan(prefix), e => Assert.Equal(MaxKeyLength, e.Key.Length));
        Assert.Equal(5, store.Scan(ReadOnlySpan<byte>.Empty).Count());
        Assert.Equal(B(1), store.Scan(B(0xFF)).Single().Value);
        Assert.True(store.Delete(Key(0x80)));
        Assert.Equal(3, store.Scan(prefix).Count());
    }

    [Fact]
    public void ValuesOfOneMebibyteRoundTripThroughPutScanAndBatch()
    {
        IKeyValueStore store = Open();
        byte[] Value(int seed)
        {
            byte[] value = new byte[1 << 20];
            new Random(seed).NextBytes(value);
            return value;
        }

        store.Put("big/1", Value(1));
        store.Write(new WriteBatch().Put(Encoding.UTF8.GetBytes("big/2"), Value(2)).Put(Encoding.UTF8.GetBytes("big/3"), Value(3)));
        Assert.Equal(Value(1), store.Get("big/1"));
        KeyValuePair<byte[], byte[]>[] scanned = store.Scan("big/").ToArray();
        Assert.Equal(["big/1", "big/2", "big/3"], scanned.Select(e => Text(e.Key)));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Value(i + 1), scanned[i].Value);
        }
    }

    [Fact]
    public void ScanIsLazyAndReadsTheStoreWhenEnumerated()
    {
        IKeyValueStore store = Open();
        store.Put("a/1", "x");
        store.Put("a/2", "y");
        IEnumerable<KeyValuePair<byte[], byte[]>> scan = store.Scan("a/");
        store.Put("a/3", "z");
        store.Delete("a/1");
        Assert.Equal(["a/2", "a/3"], scan.Select(e => Text(e.Key)).ToArray());

        // Enumerating again reads again.
        store.Put("a/0", "w");
        Assert.Equal(["a/0", "a/2", "a/3"], scan.Select(e => Text(e.Key)).ToArray());
    }

    [Fact]
    public void ScanWhileWritingYieldsEveryUntouchedKeyOnceInOrder()
    {
        // A scan is not a snapshot of a whole large range: it may or may not see a key written while it runs, but it
        // yields keys in strictly increasing order, never one twice, and every key left alone during the scan.
        IKeyValueStore store = Open();
        const int Keys = 3000;
        var batch = new WriteBatch();
        for (int i = 0; i < Keys; i++)
        {
            batch.Put($"r/{i:D5}", "v");
        }

        store.Write(batch);
        var touched = new HashSet<string>();
        var seen = new List<string>();
        int step = 0;
        foreach (KeyValuePair<byte[], byte[]> entry in store.Scan("r/"))
        {
            seen.Add(Text(entry.Key));
            step++;

            // Insert behind and ahead of the position, delete ahead of it, overwrite what was just read.
            string behind = $"r/{step / 2:D5}x";
            string ahead = $"r/{Math.Min(Keys - 1, step * 3):D5}";
            string newAhead = $"r/{Math.Min(Keys - 1, step * 2):D5}y";
            store.Put(behind, "new");
            store.Put(newAhead, "new");
            if (touched.Add(ahead))
            {
                store.Delete(ahead);
            }

            touched.Add(behind);
            touched.Add(newAhead);
            store.Put(Text(entry.Key), "overwritten");
        }

        for (int i = 1; i < seen.Count; i++)
        {
            Assert.True(string.CompareOrdinal(seen[i - 1], seen[i]) < 0, $"{seen[i - 1]} then {seen[i]}");
        }

        string[] untouched = Enumerable.Range(0, Keys).Select(i => $"r/{i:D5}").Where(k => !touched.Contains(k)).ToArray();
        Assert.NotEmpty(untouched);
        Assert.Empty(untouched.Except(seen));
    }

    [Fact]
    public void AbandonedScanDoesNotBlockWritesReadsOrDispose()
    {
        IKeyValueStore store = Open();
        var batch = new WriteBatch();
        for (int i = 0; i < 2000; i++)
        {
            batch.Put($"s/{i:D5}", "v");
        }

        store.Write(batch);

        // Left mid-range without Dispose, as a caller that breaks out of a hand-written loop would.
        var abandoned = new List<IEnumerator<KeyValuePair<byte[], byte[]>>>();
        for (int i = 0; i < 50; i++)
        {
            IEnumerator<KeyValuePair<byte[], byte[]>> enumerator = store.Scan("s/").GetEnumerator();
            Assert.True(enumerator.MoveNext());
            abandoned.Add(enumerator);
        }

        store.Put("s/new", "v");
        store.Write(new WriteBatch().Delete("s/00000").Put("s/other", "v"));
        Assert.Equal(2001, store.Scan("s/").Count());
        Assert.NotNull(store.Get("s/00001"));
        Assert.True(abandoned[0].MoveNext());
        GC.KeepAlive(abandoned);
    }

    [Fact]
    public void RandomOperationsAgreeWithASortedModel()
    {
        // A differential test: random puts, deletes, batches and prefix scans over keys built from the edge bytes,
        // checked against a sorted dictionary with the ordinal comparer.
        IKeyValueStore store = Open();
        var model = new SortedDictionary<byte[], byte[]>(Comparer<byte[]>.Create(CompareKeys));
        var random = new Random(20261201);
        byte[] alphabet = [0x00, 0x01, 0x61, 0x7F, 0x80, 0xFE, 0xFF];
        byte[] RandomKey(int maxLength)
        {
            byte[] key = new byte[random.Next(1, maxLength + 1)];
            for (int i = 0; i < key.Length; i++)
            {
                key[i] = alphabet[random.Next(alphabet.Length)];
            }

            return key;
        }

        for (int step = 0; step < 1500; step++)
        {
            switch (random.Next(10))
            {
                case < 4:
                {
                    byte[] key = RandomKey(4);
                    byte[] value = RandomKey(6);
                    store.Put(key, value);
                    model[key] = value;
                    break;
                }

                case < 6:
                {
                    byte[] key = RandomKey(4);
                    Assert.Equal(model.Remove(key), store.Delete(key));
                    break;
                }

                case 6:
                {
                    var batch = new WriteBatch();
                    for (int i = random.Next(0, 6); i > 0; i--)
                    {
                        byte[] key = RandomKey(3);
                        if (random.Next(3) == 0)
                        {
                            batch.Delete(key);
                            model.Remove(key);
                        }
                        else
                        {
                            byte[] value = RandomKey(3);
                            batch.Put(key, value);
                            model[key] = value;
                        }
                    }

                    store.Write(batch);
                    break;
                }

                case 7:
                {
                    byte[] key = RandomKey(4);
                    Assert.Equal(model.TryGetValue(key, out byte[]? expected) ? Hex(expected) : null, store.Get(key) is { } v ? Hex(v) : null);
                    break;
                }

                default:
                {
                    byte[] prefix = random.Next(8) == 0 ? [] : RandomKey(3);
                    string[] expected = model.Where(e => e.Key.AsSpan().StartsWith(prefix)).Select(e => $"{Hex(e.Key)}={Hex(e.Value)}").ToArray();
                    Assert.Equal(expected, store.Scan(prefix).Select(e => $"{Hex(e.Key)}={Hex(e.Value)}").ToArray());
                    break;
                }
            }
        }

        Assert.Equal(model.Select(e => $"{Hex(e.Key)}={Hex(e.Value)}").ToArray(), Contents(store));
    }

    [Fact]
    public void ScanEnumeratedAfterDisposeThrowsObjectDisposedException()
    {
        IKeyValueStore store = CreateStore();
        var batch = new WriteBatch();
        for (int i = 0; i < 1000; i++)
        {
            batch.Put($"d/{i:D4}", "v");
        }

        store.Write(batch);
        IEnumerable<KeyValuePair<byte[], byte[]>> notStarted = store.Scan("d/");
        using IEnumerator<KeyValuePair<byte[], byte[]>> started = store.Scan("d/").GetEnumerator();
        Assert.True(started.MoveNext());
        store.Dispose();

        Assert.Throws<ObjectDisposedException>(() => notStarted.Count());
        Assert.Throws<ObjectDisposedException>(() =>
        {
            while (started.MoveNext())
            {
            }
        });
    }
}
