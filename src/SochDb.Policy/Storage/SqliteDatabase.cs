using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;

namespace SochDb;

/// <summary>The durable store behind <see cref="Database.Open"/>: one WAL-mode SQLite file.</summary>
internal sealed class SqliteDatabase : Database
{
    public static SqliteDatabase OpenFile(string path, DatabaseOptions options) =>
        throw new PlatformNotSupportedException("The SQLite store is being written (issue: foundation).");

    public override void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => throw new InvalidOperationException();

    public override bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value) => throw new InvalidOperationException();

    public override bool Delete(ReadOnlySpan<byte> key) => throw new InvalidOperationException();

    public override IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix) => throw new InvalidOperationException();

    public override void Write(WriteBatch batch) => throw new InvalidOperationException();
}
