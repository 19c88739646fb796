using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace SochDb;

/// <summary>
/// The embedded store: <see cref="Open"/> gives a durable SQLite-backed database in one file,
/// <see cref="OpenInMemory"/> a volatile one for tests and caches. Both are safe for concurrent use.
/// </summary>
public abstract class Database : IKeyValueStore
{
    /// <summary>Only this library's stores derive from it; custom backends implement <see cref="IKeyValueStore"/>.</summary>
    private protected Database()
    {
    }

    /// <summary>
    /// Opens (creating if needed) the database file at <paramref name="path"/>: one SQLite file in WAL mode
    /// (while open, SQLite keeps <c>-wal</c> and <c>-shm</c> files beside it). The directory must exist. When
    /// opening fails nothing is left behind: a file this call created is removed and an existing file is unchanged.
    /// </summary>
    /// <param name="path">The database file, absolute or relative to the current directory.</param>
    /// <param name="options">Durability and other options; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, white space, not a valid path, a directory, or not a regular file (a FIFO, a device).</exception>
    /// <exception cref="System.IO.DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="System.IO.InvalidDataException">
    /// The file exists and is not a SQLite database, holds a table of the store's name with another shape, or is a
    /// damaged SQLite database (found by the checks made while opening; see <see cref="DatabaseOptions.VerifyOnOpen"/>).
    /// The message names the file and what is wrong.
    /// </exception>
    /// <exception cref="System.IO.IOException">SQLite could not open or set up the file (for example, no permission).</exception>
    public static Database Open(string path, DatabaseOptions? options = null) => SqliteDatabase.OpenFile(path, options ?? new DatabaseOptions());

    /// <summary>Creates an empty in-memory database.</summary>
    public static Database OpenInMemory() => new InMemoryDatabase();

    /// <inheritdoc />
    public abstract void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <inheritdoc />
    public abstract bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value);

    /// <inheritdoc />
    public abstract bool Delete(ReadOnlySpan<byte> key);

    /// <inheritdoc />
    /// <remarks>
    /// Lazy and streamed: each enumeration reads the store afresh, a page of entries at a time, holding nothing
    /// between pages, so memory stays bounded whatever the range and an abandoned enumeration blocks nothing. Each page
    /// is one consistent state; a range longer than a page is not one snapshot (see docs/storage.md).
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The database was disposed (also from an enumeration that goes on after it).</exception>
    /// <exception cref="System.IO.IOException">Reading failed (the message names the file).</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is damaged (the message names it and what SQLite found).</exception>
    public abstract IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix);

    /// <inheritdoc />
    public abstract void Write(WriteBatch batch);

    /// <inheritdoc />
    /// <remarks>Completes synchronously, without allocating.</remarks>
    public virtual ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Put(key.Span, value.Span);
        return default;
    }

    /// <inheritdoc />
    /// <remarks>Completes synchronously.</remarks>
    public virtual ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<byte[]?>(TryGet(key.Span, out byte[]? value) ? value : null);
    }

    /// <inheritdoc />
    /// <remarks>Completes synchronously, without allocating.</remarks>
    public virtual ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<bool>(Delete(key.Span));
    }

    /// <inheritdoc />
    /// <remarks>Completes synchronously, without allocating.</remarks>
    public virtual ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(batch);
        return default;
    }

    /// <inheritdoc />
    public virtual IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken = default) =>
        KeyValueStoreAsync.FromSync(Scan(prefix.Span), cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>How <see cref="Database.Open"/> trades speed for durability.</summary>
public enum Durability
{
    /// <summary>Every acknowledged write survives power loss: an fsync per commit (SQLite <c>synchronous=FULL</c>).</summary>
    Full = 0,
    /// <summary>Acknowledged writes survive a process crash; the last few may be lost on power loss (<c>synchronous=NORMAL</c>).</summary>
    Normal = 1,
}

/// <summary>Options of <see cref="Database.Open"/>.</summary>
public sealed record DatabaseOptions
{
    /// <summary>Durability of each commit; default <see cref="Durability.Full"/>.</summary>
    public Durability Durability { get; init; } = Durability.Full;

    /// <summary>
    /// Whether <see cref="Database.Open"/> reads the whole file with SQLite's <c>quick_check</c> before using it, and
    /// refuses a damaged file with <see cref="System.IO.InvalidDataException"/> naming it; default <see langword="false"/>.
    /// </summary>
    /// <remarks>
    /// The check reads every page, so its cost grows with the file (see docs/storage.md for measurements). Without it,
    /// opening still reads the schema and the first and last entries (cost: the depth of the tree), and damage met later
    /// by any operation surfaces as <see cref="System.IO.InvalidDataException"/> naming the file.
    /// </remarks>
    public bool VerifyOnOpen { get; init; }
}
