using System;
using System.Collections.Generic;

namespace SochDb;

/// <summary>UTF-8 string conveniences and <c>Get</c> for every <see cref="IKeyValueStore"/>.</summary>
public static class KeyValueStoreExtensions
{
    /// <summary>Reads <paramref name="key"/>, or null when absent.</summary>
    public static byte[]? Get(this IKeyValueStore store, ReadOnlySpan<byte> key) =>
        store.TryGet(key, out byte[]? value) ? value : null;

    /// <summary>Reads the UTF-8 key <paramref name="key"/>, or null when absent.</summary>
    public static byte[]? Get(this IKeyValueStore store, string key) => store.Get(KeyRules.Encode(key));

    /// <summary>Reads the UTF-8 key <paramref name="key"/>.</summary>
    public static bool TryGet(this IKeyValueStore store, string key, out byte[]? value) =>
        store.TryGet(KeyRules.Encode(key), out value);

    /// <summary>Writes UTF-8 <paramref name="value"/> under the UTF-8 key <paramref name="key"/>.</summary>
    public static void Put(this IKeyValueStore store, string key, string value) =>
        store.Put(KeyRules.Encode(key), KeyRules.EncodeValue(value));

    /// <summary>Writes <paramref name="value"/> under the UTF-8 key <paramref name="key"/>.</summary>
    public static void Put(this IKeyValueStore store, string key, ReadOnlySpan<byte> value) =>
        store.Put(KeyRules.Encode(key), value);

    /// <summary>Removes the UTF-8 key <paramref name="key"/>.</summary>
    public static bool Delete(this IKeyValueStore store, string key) => store.Delete(KeyRules.Encode(key));

    /// <summary>Every entry whose key starts with the UTF-8 <paramref name="prefix"/>, in key order.</summary>
    public static IEnumerable<KeyValuePair<byte[], byte[]>> Scan(this IKeyValueStore store, string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return store.Scan(System.Text.Encoding.UTF8.GetBytes(prefix));
    }
}
