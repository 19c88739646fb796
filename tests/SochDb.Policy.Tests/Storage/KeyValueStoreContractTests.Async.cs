using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace SochDb.Policy.Tests.Storage;

/// <summary>
/// The store contract: the asynchronous members give the same results as the synchronous ones, and a cancelled token
/// changes nothing.
/// </summary>
public abstract partial class KeyValueStoreContractTests
{
    private static ReadOnlyMemory<byte> M(string text) => Encoding.UTF8.GetBytes(text);

    private static async Task<List<KeyValuePair<byte[], byte[]>>> ToListAsync(
        IAsyncEnumerable<KeyValuePair<byte[], byte[]>> entries, CancellationToken cancellationToken = default)
    {
        var result = new List<KeyValuePair<byte[], byte[]>>();
        await foreach (KeyValuePair<byte[], byte[]> entry in entries.WithCancellation(cancellationToken))
        {
            result.Add(entry);
        }

        return result;
    }

    private static CancellationToken Cancelled()
    {
        using var source = new CancellationTokenSource();
        source.Cancel();
        return source.Token;
    }

    [Fact]
    public async Task AsyncPutGetDeleteAgreeWithTheSynchronousMembers()
    {
        IKeyValueStore store = Open();
        byte[] value = B(0, 0x7F, 0x80, 0xFF);
        await store.PutAsync(B(0x80, 0x00), value);
        Assert.Equal(value, store.Get(B(0x80, 0x00)));
        Assert.Equal(value, await store.GetAsync(B(0x80, 0x00)));
        Assert.Null(await store.GetAsync(B(0x80)));

        store.Put("sync", "1");
        Assert.Equal("1", Text((await store.GetAsync(M("sync")))!));
        await store.PutAsync(M("sync"), M("2"));
        Assert.Equal("2", Text(store.Get("sync")!));

        await store.PutAsync(M("empty"), ReadOnlyMemory<byte>.Empty);
        Assert.Empty((await store.GetAsync(M("empty")))!);

        Assert.True(await store.DeleteAsync(M("sync")));
        Assert.False(await store.DeleteAsync(M("sync")));
        Assert.False(store.TryGet("sync", out _));
    }

    [Fact]
    public async Task AsyncValuesAreCopies()
    {
        IKeyValueStore store = Open();
        byte[] written = B(1, 2, 3);
        await store.PutAsync(B(9), written);
        written[0] = 42;
        byte[] first = (await store.GetAsync(B(9)))!;
        first[1] = 42;
        Assert.Equal(B(1, 2, 3), await store.GetAsync(B(9)));
    }

    [Fact]
    public async Task WriteAsyncAppliesTheBatchLikeWrite()
    {
        IKeyValueStore store = Open();
        store.Put("gone", "1");
        await store.WriteAsync(new WriteBatch().Put("a", "1").Delete("gone").Put("a", "3").Put("b", "2"));
        Assert.Equal(["a=3", "b=2"], store.Scan("").Select(e => $"{Text(e.Key)}={Text(e.Value)}").ToArray());
        await store.WriteAsync(new WriteBatch());
        Assert.Equal(2, store.Scan("").Count());
    }

    [Fact]
    public async Task ScanAsyncYieldsWhatScanYields()
    {
        IKeyValueStore store = Open();
        byte[][] keys = [B(0xFF), B(0x80), B(0x7F), B(0x00), B(0x61, 0xFF), B(0x61), B(0x61, 0x00), B(0xFF, 0xFF, 0x01)];
        foreach (byte[] key in keys)
        {
            await store.PutAsync(key, key);
        }

        foreach (byte[] prefix in new[] { B(), B(0x61), B(0xFF), B(0xFF, 0xFF), B(0x61, 0xFF), B(0x00), B(0x62) })
        {
            string[] expected = store.Scan(prefix).Select(e => $"{Hex(e.Key)}={Hex(e.Value)}").ToArray();
            List<KeyValuePair<byte[], byte[]>> scanned = await ToListAsync(store.ScanAsync(prefix));
            Assert.Equal(expected, scanned.Select(e => $"{Hex(e.Key)}={Hex(e.Value)}").ToArray());
        }

        Assert.Equal(8, (await ToListAsync(store.ScanAsync(ReadOnlyMemory<byte>.Empty))).Count);
    }

    [Fact]
    public async Task ScanAsyncOverManyEntriesIsInOrder()
    {
        IKeyValueStore store = Open();
        var batch = new WriteBatch();
        for (int i = 2999; i >= 0; i--)
        {
            batch.Put($"n/{i:D5}", $"{i}");
        }

        await store.WriteAsync(batch);
        List<KeyValuePair<byte[], byte[]>> scanned = await ToListAsync(store.ScanAsync(M("n/")));
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => $"n/{i:D5}"), scanned.Select(e => Text(e.Key)));
    }

    [Fact]
    public async Task CancelledTokenRefusesEveryAsyncMemberAndChangesNothing()
    {
        IKeyValueStore store = Open();
        store.Put("a", "1");
        store.Put("b", "2");
        string[] before = Contents(store);
        CancellationToken cancelled = Cancelled();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.PutAsync(M("c"), M("3"), cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.PutAsync(M("a"), M("changed"), cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.DeleteAsync(M("a"), cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await store.WriteAsync(new WriteBatch().Put("c", "3").Delete("b"), cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetAsync(M("a"), cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ToListAsync(store.ScanAsync(M(""), cancelled)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ToListAsync(store.ScanAsync(M("")), cancelled));

        Assert.Equal(before, Contents(store));
    }

    [Fact]
    public async Task ScanAsyncStopsWhenCancelledPartWay()
    {
        IKeyValueStore store = Open();
        var batch = new WriteBatch();
        for (int i = 0; i < 1000; i++)
        {
            batch.Put($"c/{i:D4}", "v");
        }

        store.Write(batch);
        using var source = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (KeyValuePair<byte[], byte[]> entry in store.ScanAsync(M("c/"), source.Token))
            {
                seen++;
                if (seen == 10)
                {
                    source.Cancel();
                }
            }
        });
        Assert.Equal(10, seen);
        Assert.Equal(1000, store.Scan("c/").Count());
    }

    [Fact]
    public async Task AsyncMembersRejectBadKeysLikeTheSynchronousOnes()
    {
        IKeyValueStore store = Open();
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(async () => await store.PutAsync(ReadOnlyMemory<byte>.Empty, M("v")))).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(async () => await store.GetAsync(new byte[MaxKeyLength + 1]))).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(async () => await store.DeleteAsync(ReadOnlyMemory<byte>.Empty))).ParamName);
        Assert.Equal("batch", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.WriteAsync(null!))).ParamName);
        Assert.Empty(store.Scan(""));
    }

    [Fact]
    public async Task WriteAsyncThatFailsPartWayWritesNothing()
    {
        IKeyValueStore store = Open();
        store.Put("kept", "old");
        string[] before = Contents(store);
        FailWritesOf(store, Encoding.UTF8.GetBytes("poison"));
        Exception error = await Assert.ThrowsAnyAsync<Exception>(
            async () => await store.WriteAsync(new WriteBatch().Put("kept", "new").Put("added", "1").Put("poison", "x")));
        AssertStoreFailure(error);
        Assert.Equal(before, Contents(store));
    }

    [Fact]
    public async Task AsyncMembersAfterDisposeThrow()
    {
        IKeyValueStore store = CreateStore();
        store.Put("k", "v");
        store.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.PutAsync(M("k"), M("v")));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.GetAsync(M("k")));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.DeleteAsync(M("k")));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.WriteAsync(new WriteBatch().Put("a", "b")));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await ToListAsync(store.ScanAsync(M(""))));
    }
}
