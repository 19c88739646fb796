using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Threading;

namespace SochDb;

/// <summary>
/// An ordered in-memory store. A reader-writer lock guards a sorted dictionary: reads run in parallel,
/// writes one at a time; Scan copies the matching range under the read lock, so enumeration never sees a
/// half-applied batch and never blocks writers for longer than the copy.
/// </summary>
internal sealed class InMemoryDatabase : Database
{
    private readonly SortedDictionary<byte[], byte[]> _entries = new(ByteKeyComparer.Instance);
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private bool _disposed;

    public override void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        KeyRules.Validate(key);
        byte[] keyCopy = key.ToArray();
        byte[] valueCopy = value.ToArray();
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            _entries[keyCopy] = valueCopy;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public override bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        KeyRules.Validate(key);
        byte[] keyCopy = key.ToArray();
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            if (_entries.TryGetValue(keyCopy, out byte[]? stored))
            {
                value = (byte[])stored.Clone();
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
        byte[] keyCopy = key.ToArray();
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            return _entries.Remove(keyCopy);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public override IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix)
    {
        byte[] prefixCopy = prefix.ToArray();
        var result = new List<KeyValuePair<byte[], byte[]>>();
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            foreach (KeyValuePair<byte[], byte[]> entry in _entries)
            {
                if (entry.Key.AsSpan().StartsWith(prefixCopy))
                {
                    result.Add(new KeyValuePair<byte[], byte[]>((byte[])entry.Key.Clone(), (byte[])entry.Value.Clone()));
                }
                else if (result.Count > 0)
                {
                    break;
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return result;
    }

    public override void Write(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            foreach ((byte[] key, byte[]? value) in batch.Operations)
            {
                if (value is null)
                {
                    _entries.Remove(key);
                }
                else
                {
                    _entries[(byte[])key.Clone()] = (byte[])value.Clone();
                }
            }
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

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
