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

/// <summary>
/// What every <see cref="IKeyValueStore"/> must do, run against each store by a subclass. The stores must be
/// indistinguishable here: same results, same exceptions.
/// </summary>
/// <remarks>
/// The files <c>KeyValueStoreContractTests*.cs</c> depend on nothing but the public store API and xunit, so another
/// test project can link them (<c>&lt;Compile Include="...\KeyValueStoreContractTests*.cs" /&gt;</c>) and run the
/// same contract against its own store by implementing <see cref="CreateStore"/> and <see cref="FailWritesOf"/>.
/// </remarks>
public abstract partial class KeyValueStoreContractTests : IDisposable
{
    /// <summary>The longest key every store accepts, in bytes.</summary>
    protected const int MaxKeyLength = 4096;

    private readonly List<IKeyValueStore> _opened = new();

    /// <summary>Opens a new, empty store.</summary>
    protected abstract IKeyValueStore CreateStore();

    /// <summary>
    /// Arranges that, from now on, writing (putting) <paramref name="key"/> into <paramref name="store"/> fails inside
    /// the store itself, after the batch or call has been accepted (for example with a database trigger), so tests
    /// can show that a failure part-way through a batch leaves nothing half-written.
    /// </summary>
    protected abstract void FailWritesOf(IKeyValueStore store, byte[] key);

    /// <summary>Checks the exception a store raises for a failure arranged by <see cref="FailWritesOf"/>.</summary>
    protected virtual void AssertStoreFailure(Exception error) => Assert.IsAssignableFrom<IOException>(error);

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

        GC.SuppressFinalize(this);
    }

    protected static byte[] B(params int[] bytes) => bytes.Select(b => (byte)b).ToArray();

    protected static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    protected static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    protected static string[] ScanKeys(IKeyValueStore store, byte[] prefix) => store.Scan(prefix).Select(e => Hex(e.Key)).ToArray();

    /// <summary>Every entry of <paramref name="store"/> as "KEYHEX=VALUEHEX", in the order Scan yields them.</summary>
    protected static string[] Contents(IKeyValueStore store) => store.Scan(ReadOnlySpan<byte>.Empty).Select(e => $"{Hex(e.Key)}={Hex(e.Value)}").ToArray();

    /// <summary>Ordinal order of keys (unsigned bytes, a shorter prefix first), written here so the contract needs nothing else.</summary>
    protected static int CompareKeys(byte[] x, byte[] y) => x.AsSpan().SequenceCompareTo(y);

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
        byte[] key = Enumerable.Repeat((byte)0x7A, MaxKeyLength).ToArray();
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
    public void ManyThreadsWritingAndReadingAtOnce()
    {
        IKeyValueStore store = Open();
        const int Threads = 8;
        const int OpsPerThread = 500;
        var errors = new ConcurrentQueue<string>();
        using var start = new Barrier(Threads);
        Thread[] threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            Waits.Meet(start);
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

        Waits.Join(threads);

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
        byte[] key = new byte[MaxKeyLength + 1];
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
