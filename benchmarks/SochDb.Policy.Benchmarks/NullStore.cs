using System.Diagnostics.CodeAnalysis;

namespace SochDb.Policy.Benchmarks;

/// <summary>A store that stores nothing: isolates the policy layer's decision cost.</summary>
public sealed class NullStore : IKeyValueStore
{
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
    }

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        value = null;
        return false;
    }

    public bool Delete(ReadOnlySpan<byte> key) => false;

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix) => [];

    public void Write(WriteBatch batch)
    {
    }

    public void Dispose()
    {
    }
}
