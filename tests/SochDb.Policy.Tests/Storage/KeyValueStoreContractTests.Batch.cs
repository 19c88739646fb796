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

/// <summary>The store contract: batches (order, atomicity, isolation).</summary>
public abstract partial class KeyValueStoreContractTests
{
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
        ArgumentException tooLong = Assert.Throws<ArgumentException>(() => batch.Put(new byte[MaxKeyLength + 1], B(1)));
        Assert.Equal("key", tooLong.ParamName);
        Assert.Contains(MaxKeyLength.ToString(), tooLong.Message);
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
        Waits.Join(reader);
        Assert.Empty(observed);
        Assert.All(store.Scan("batch/"), e => Assert.Equal("100", Encoding.UTF8.GetString(e.Value)));
    }

    [Fact]
    public void BatchThatFailsOnItsLastItemWritesNothing()
    {
        IKeyValueStore store = Open();
        store.Put("kept", "old");
        store.Put("doomed", "old");
        string[] before = Contents(store);
        FailWritesOf(store, Encoding.UTF8.GetBytes("poison"));

        var batch = new WriteBatch().Put("kept", "new").Delete("doomed").Put("added", "1").Put("poison", "x");
        Exception error = Assert.ThrowsAny<Exception>(() => store.Write(batch));
        AssertStoreFailure(error);
        Assert.Equal(before, Contents(store));

        // The store is still usable, and the failure is specific to the item.
        store.Write(new WriteBatch().Put("kept", "new").Delete("doomed"));
        Assert.Equal("new", Text(store.Get("kept")!));
        Assert.Null(store.Get("doomed"));
    }

    [Fact]
    public void BatchThatFailsOnItsFirstItemWritesNothing()
    {
        IKeyValueStore store = Open();
        store.Put("a", "1");
        string[] before = Contents(store);
        FailWritesOf(store, Encoding.UTF8.GetBytes("poison"));
        AssertStoreFailure(Assert.ThrowsAny<Exception>(() => store.Write(new WriteBatch().Put("poison", "x").Put("b", "2").Delete("a"))));
        Assert.Equal(before, Contents(store));
    }

    [Fact]
    public void SinglePutThatFailsInTheStoreChangesNothing()
    {
        IKeyValueStore store = Open();
        store.Put("a", "1");
        FailWritesOf(store, Encoding.UTF8.GetBytes("poison"));
        AssertStoreFailure(Assert.ThrowsAny<Exception>(() => store.Put("poison", "x")));
        Assert.Equal(["a"], store.Scan("").Select(e => Text(e.Key)).ToArray());
        store.Put("b", "2");
        Assert.Equal(2, store.Scan("").Count());
    }

    [Fact]
    public void LargeBatchIsAppliedWhole()
    {
        IKeyValueStore store = Open();
        var batch = new WriteBatch();
        for (int i = 0; i < 5000; i++)
        {
            batch.Put($"bulk/{i:D5}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        batch.Delete("bulk/00010");
        store.Write(batch);
        Assert.Equal(4999, store.Scan("bulk/").Count());
        Assert.Equal("4999", Text(store.Get("bulk/04999")!));
    }
}
