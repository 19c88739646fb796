using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace SochDb;

/// <summary>
/// An ordered key-value store over raw bytes. Keys are non-empty byte strings compared ordinally (unsigned
/// bytes, shorter prefix first). Implementations must be safe for concurrent use from many threads.
/// </summary>
/// <remarks>
/// The asynchronous members have default implementations that call the synchronous ones and complete at once without
/// allocating (right for in-process stores). A networked store overrides them to be asynchronous end to end; its
/// synchronous members may then block on the asynchronous ones.
/// </remarks>
public interface IKeyValueStore : IDisposable
{
    /// <summary>
    /// The longest key every store accepts, in bytes (large enough for any path-like key, small enough to keep index
    /// pages healthy). Keys are 1 to this many bytes.
    /// </summary>
    const int MaxKeyLength = 4096;

    /// <summary>
    /// Throws when <paramref name="key"/> is not a key every store accepts (empty, or longer than
    /// <see cref="MaxKeyLength"/>). The engine and the built-in stores check keys with it; a custom store calls it to
    /// refuse what they refuse.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="paramName">The argument's name, for the exception.</param>
    /// <exception cref="ArgumentException">The key is empty or too long (the message gives its length and the limit).</exception>
    static void ValidateKey(ReadOnlySpan<byte> key, string paramName = "key") => KeyRules.Validate(key, paramName);

    /// <summary>Writes (or overwrites) <paramref name="key"/>.</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Reads <paramref name="key"/>; returns <see langword="false"/> when it is absent.</summary>
    bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value);

    /// <summary>Removes <paramref name="key"/>; returns whether it was present.</summary>
    bool Delete(ReadOnlySpan<byte> key);

    /// <summary>Every entry whose key starts with <paramref name="prefix"/> (empty: all), in key order.</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix);

    /// <summary>Applies every put and delete of <paramref name="batch"/> atomically (one transaction).</summary>
    void Write(WriteBatch batch);

    /// <summary>Writes (or overwrites) <paramref name="key"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the write.</exception>
    ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Put(key.Span, value.Span);
        return default;
    }

    /// <summary>Reads <paramref name="key"/>; null when it is absent.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the read.</exception>
    ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<byte[]?>(TryGet(key.Span, out byte[]? value) ? value : null);
    }

    /// <summary>Removes <paramref name="key"/>; returns whether it was present.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the delete.</exception>
    ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<bool>(Delete(key.Span));
    }

    /// <summary>Applies every put and delete of <paramref name="batch"/> atomically (one transaction).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the write.</exception>
    ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(batch);
        return default;
    }

    /// <summary>Every entry whose key starts with <paramref name="prefix"/> (empty: all), in key order, streamed.</summary>
    IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken = default) =>
        KeyValueStoreAsync.FromSync(Scan(prefix.Span), cancellationToken);
}

/// <summary>Adapts a synchronous scan to the asynchronous contract.</summary>
internal static class KeyValueStoreAsync
{
    public static async IAsyncEnumerable<KeyValuePair<byte[], byte[]>> FromSync(
        IEnumerable<KeyValuePair<byte[], byte[]>> entries, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        foreach (KeyValuePair<byte[], byte[]> entry in entries)
        {
            yield return entry;
            cancellationToken.ThrowIfCancellationRequested();
        }

        await System.Threading.Tasks.Task.CompletedTask.ConfigureAwait(false);
    }
}

/// <summary>A list of puts and deletes applied together by <see cref="IKeyValueStore.Write"/>.</summary>
public sealed class WriteBatch
{
    private readonly List<(byte[] Key, byte[]? Value)> _operations = new();

    /// <summary>The operations in the order added; a null value is a delete.</summary>
    public IReadOnlyList<(byte[] Key, byte[]? Value)> Operations => _operations;

    /// <summary>Number of operations.</summary>
    public int Count => _operations.Count;

    /// <summary>Adds a put.</summary>
    public WriteBatch Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        KeyRules.Validate(key);
        _operations.Add((key.ToArray(), value.ToArray()));
        return this;
    }

    /// <summary>Adds a put of UTF-8 text.</summary>
    public WriteBatch Put(string key, string value) => Put(KeyRules.Encode(key), KeyRules.EncodeValue(value));

    /// <summary>Adds a delete.</summary>
    public WriteBatch Delete(ReadOnlySpan<byte> key)
    {
        KeyRules.Validate(key);
        _operations.Add((key.ToArray(), null));
        return this;
    }

    /// <summary>Adds a delete of a UTF-8 key.</summary>
    public WriteBatch Delete(string key) => Delete(KeyRules.Encode(key));

    /// <summary>Adds an operation whose arrays the caller owns and will not change (the engine's own copies): no copy.</summary>
    internal void AddOwned(byte[] key, byte[]? value) => _operations.Add((key, value));
}
