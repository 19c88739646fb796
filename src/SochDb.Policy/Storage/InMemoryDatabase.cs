using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Threading;

namespace SochDb;

/// <summary>
/// An ordered in-memory store: a sorted set of entries guarded by a reader-writer lock, so reads run in parallel and
/// writes one at a time.
/// </summary>
/// <remarks>
/// <see cref="Scan"/> streams: it copies one page of entries (at most <see cref="ScanPageSize"/>) under the read lock,
/// yields them, then finds the next key after the last one yielded. Memory per scan is one page whatever the range,
/// and an abandoned enumeration holds no lock. Each page is one consistent view; a range longer than a page is read
/// page by page, as the SQLite store does.
/// </remarks>
internal sealed class InMemoryDatabase : Database
{
    /// <summary>Entries copied per page of a scan.</summary>
    internal const int ScanPageSize = 256;

    // Above every valid key (one byte longer than the longest, all 0xFF), so a view "from here to the end" has a bound.
    private static readonly Entry EndOfKeys = new(CreateEndKey(), []);

    private readonly SortedSet<Entry> _entries = new(EntryComparer.Instance);
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private HashSet<byte[]>? _failingKeys;
    private bool _disposed;

    public override void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        KeyRules.Validate(key);
        var entry = new Entry(key.ToArray(), value.ToArray());
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            ThrowIfFailing(entry.Key);
            Upsert(entry.Key, entry.Value);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public override bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        KeyRules.Validate(key);
        var probe = new Entry(key.ToArray(), []);
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            if (_entries.TryGetValue(probe, out Entry? stored))
            {
                value = (byte[])stored.Value.Clone();
                return true;
            }

            value = null;
            return false;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public override bool Delete(ReadOnlySpan<byte> key)
    {
        KeyRules.Validate(key);
        var probe = new Entry(key.ToArray(), []);
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            return _entries.Remove(probe);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public override IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix)
    {
        _lock.EnterReadLock();
        try
        {
            // Checked when called, as the SQLite store does; enumerating after Dispose throws too.
            ThrowIfDisposed();
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return ScanPages(prefix.ToArray());
    }

    public override void Write(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        IReadOnlyList<(byte[] Key, byte[]? Value)> operations = batch.Operations;

        // Copies are made before the lock so that applying the batch allocates as little as possible.
        var copies = new (byte[] Key, byte[]? Value)[operations.Count];
        for (int i = 0; i < copies.Length; i++)
        {
            (byte[] key, byte[]? value) = operations[i];
            KeyRules.Validate(key, nameof(batch));
            copies[i] = ((byte[])key.Clone(), (byte[]?)value?.Clone());
        }

        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            ApplyAtomically(copies);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// From now on, writing <paramref name="key"/> throws <see cref="IOException"/> inside the store, after the call
    /// or batch was accepted: lets tests show that a failure part-way through a batch leaves nothing half-written.
    /// </summary>
    internal void FailWritesOf(byte[] key)
    {
        _lock.EnterWriteLock();
        try
        {
            _failingKeys ??= new HashSet<byte[]>(ByteArrayEquality.Instance);
            _failingKeys.Add((byte[])key.Clone());
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    protected override void Dispose(bool disposing)
    {
        _lock.EnterWriteLock();
        try
        {
            _disposed = true;
            _entries.Clear();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private IEnumerable<KeyValuePair<byte[], byte[]>> ScanPages(byte[] prefix)
    {
        var page = new List<KeyValuePair<byte[], byte[]>>(ScanPageSize);
        byte[]? after = null;
        while (true)
        {
            bool more = ReadPage(prefix, after, page);
            foreach (KeyValuePair<byte[], byte[]> entry in page)
            {
                yield return entry;
            }

            if (!more)
            {
                yield break;
            }

            after = page[^1].Key;
        }
    }

    /// <summary>Fills <paramref name="page"/> with the next entries under <paramref name="prefix"/> after <paramref name="after"/>; returns whether more may follow.</summary>
    private bool ReadPage(byte[] prefix, byte[]? after, List<KeyValuePair<byte[], byte[]>> page)
    {
        page.Clear();
        var from = new Entry(after ?? prefix, []);
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            if (from.Key.Length > KeyRules.MaxKeyLength)
            {
                // No key is that long, so none starts with it (and the view below needs from <= EndOfKeys).
                return false;
            }

            foreach (Entry entry in _entries.GetViewBetween(from, EndOfKeys))
            {
                if (after is not null && entry.Key.AsSpan().SequenceEqual(after))
                {
                    continue;
                }

                if (!entry.Key.AsSpan().StartsWith(prefix))
                {
                    return false;
                }

                if (page.Count == ScanPageSize)
                {
                    return true;
                }

                page.Add(new KeyValuePair<byte[], byte[]>((byte[])entry.Key.Clone(), (byte[])entry.Value.Clone()));
            }

            return false;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Applies every operation, or, when one fails, undoes those already applied and rethrows.</summary>
    private void ApplyAtomically((byte[] Key, byte[]? Value)[] operations)
    {
        // What each applied operation replaced (null: the key was absent), in order, so a failure can be undone.
        var undo = new List<(byte[] Key, byte[]? Previous)>(operations.Length);
        try
        {
            foreach ((byte[] key, byte[]? value) in operations)
            {
                ThrowIfFailing(key);
                byte[]? previous = _entries.TryGetValue(new Entry(key, []), out Entry? existing) ? existing.Value : null;
                undo.Add((key, previous));
                if (value is null)
                {
                    _entries.Remove(new Entry(key, []));
                }
                else
                {
                    Upsert(key, value);
                }
            }
        }
        catch
        {
            for (int i = undo.Count - 1; i >= 0; i--)
            {
                (byte[] key, byte[]? previous) = undo[i];
                if (previous is null)
                {
                    _entries.Remove(new Entry(key, []));
                }
                else
                {
                    Upsert(key, previous);
                }
            }

            throw;
        }
    }

    private void Upsert(byte[] key, byte[] value)
    {
        var entry = new Entry(key, value);
        if (_entries.TryGetValue(entry, out Entry? existing))
        {
            existing.Value = value;
        }
        else
        {
            _entries.Add(entry);
        }
    }

    private void ThrowIfFailing(byte[] key)
    {
        if (_failingKeys is not null && _failingKeys.Contains(key))
        {
            throw new IOException($"Writing the key {Convert.ToHexString(key)} failed in the in-memory store (a failure arranged by a test).");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static byte[] CreateEndKey()
    {
        byte[] key = new byte[KeyRules.MaxKeyLength + 1];
        key.AsSpan().Fill(0xFF);
        return key;
    }

    /// <summary>One key and its current value; the value is replaced in place on overwrite.</summary>
    private sealed class Entry(byte[] key, byte[] value)
    {
        public byte[] Key { get; } = key;

        public byte[] Value { get; set; } = value;
    }

    private sealed class EntryComparer : IComparer<Entry>
    {
        public static EntryComparer Instance { get; } = new();

        public int Compare(Entry? x, Entry? y) => ByteKeyComparer.Instance.Compare(x?.Key, y?.Key);
    }

    private sealed class ByteArrayEquality : IEqualityComparer<byte[]>
    {
        public static ByteArrayEquality Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
