using System.Collections;
using System.Collections.Generic;

namespace SochDb;

/// <summary>
/// A lazy scan of the SQLite store: reads one page at a time, each page in one statement on a pooled reader that is
/// returned before the page's entries are yielded. Memory per enumeration is one page
/// (<see cref="SqliteDatabase.ScanPageRows"/> entries or about <see cref="SqliteDatabase.ScanPageBytes"/> bytes), and
/// nothing is held between pages, so an enumeration that is abandoned without <c>Dispose</c> costs only its garbage.
/// </summary>
/// <remarks>
/// Each page is one committed state of the store; the next page starts strictly after the last key yielded, so keys
/// come in strictly increasing order, never twice, and a key left alone while the scan runs is yielded once. Every
/// enumeration reads the store afresh.
/// </remarks>
internal sealed class SqliteScan(SqliteDatabase database, byte[] lower, byte[]? upper) : IEnumerable<KeyValuePair<byte[], byte[]>>
{
    public IEnumerator<KeyValuePair<byte[], byte[]>> GetEnumerator()
    {
        var page = new List<KeyValuePair<byte[], byte[]>>();
        byte[]? after = null;
        while (true)
        {
            bool more = database.ReadPage(lower, after, upper, page);
            foreach (KeyValuePair<byte[], byte[]> entry in page)
            {
                yield return entry;
            }

            if (!more || page.Count == 0)
            {
                yield break;
            }

            after = page[^1].Key;
            page.Clear();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
