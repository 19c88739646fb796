using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>
/// A store around an in-memory database that can be told to fail, counts the calls it gets, and can complete its
/// asynchronous members asynchronously (as a networked store does).
/// </summary>
internal sealed class InstrumentedStore : IKeyValueStore
{
    private readonly Database _inner = Database.OpenInMemory();

    public Database Inner => _inner;

    /// <summary>When set, every store operation throws this (a disk full, a lost connection).</summary>
    public Func<Exception>? Failure { get; set; }

    /// <summary>When set, a batch containing this key fails after the items before it were applied (and is rolled back).</summary>
    public string? FailBatchAtKey { get; set; }

    /// <summary>Asynchronous members yield before completing.</summary>
    public bool CompleteAsynchronously { get; set; }

    public int Calls;

    public int ScanCalls;

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Enter();
        _inner.Put(key, value);
    }

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        Enter();
        return _inner.TryGet(key, out value);
    }

    public bool Delete(ReadOnlySpan<byte> key)
    {
        Enter();
        return _inner.Delete(key);
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix)
    {
        Interlocked.Increment(ref ScanCalls);
        Enter();
        return _inner.Scan(prefix);
    }

    public void Write(WriteBatch batch)
    {
        Enter();
        if (FailBatchAtKey is { } failing)
        {
            // Applied item by item inside a "transaction", then rolled back: what a real store does on a late failure.
            var applied = new List<(byte[] Key, byte[]? Old)>();
            try
            {
                foreach ((byte[] key, byte[]? value) in batch.Operations)
                {
                    if (System.Text.Encoding.UTF8.GetString(key) == failing)
                    {
                        throw new IOException($"disk full while writing {failing}");
                    }

                    applied.Add((key, _inner.Get(key)));
                    if (value is null)
                    {
                        _inner.Delete(key);
                    }
                    else
                    {
                        _inner.Put(key, value);
                    }
                }
            }
            catch
            {
                for (int i = applied.Count - 1; i >= 0; i--)
                {
                    if (applied[i].Old is { } old)
                    {
                        _inner.Put(applied[i].Key, old);
                    }
                    else
                    {
                        _inner.Delete(applied[i].Key);
                    }
                }

                throw;
            }

            return;
        }

        _inner.Write(batch);
    }

    public async ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        if (CompleteAsynchronously)
        {
            await Task.Yield();
        }

        cancellationToken.ThrowIfCancellationRequested();
        Put(key.Span, value.Span);
    }

    public async ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        if (CompleteAsynchronously)
        {
            await Task.Yield();
        }

        cancellationToken.ThrowIfCancellationRequested();
        return TryGet(key.Span, out byte[]? value) ? value : null;
    }

    public async ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        if (CompleteAsynchronously)
        {
            await Task.Yield();
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Delete(key.Span);
    }

    public async ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default)
    {
        if (CompleteAsynchronously)
        {
            await Task.Yield();
        }

        cancellationToken.ThrowIfCancellationRequested();
        Write(batch);
    }

    public async IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(ReadOnlyMemory<byte> prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (KeyValuePair<byte[], byte[]> entry in Scan(prefix.Span))
        {
            if (CompleteAsynchronously)
            {
                await Task.Yield();
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
    }

    public void Dispose() => _inner.Dispose();

    private void Enter()
    {
        Interlocked.Increment(ref Calls);
        if (Failure is { } failure)
        {
            throw failure();
        }
    }
}
