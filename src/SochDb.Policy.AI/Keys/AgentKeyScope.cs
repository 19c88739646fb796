using System;
using System.Text;

namespace SochDb.Policy.AI;

/// <summary>
/// Turns the key a model names (relative to its agent's prefix) into the store key, or refuses it. The store itself
/// never resolves <c>..</c> (keys are opaque bytes, so <c>notes/../x</c> could not leave the prefix anyway); refusing
/// such keys keeps what the model asked for and what is stored the same thing, and tells the model at once that it
/// cannot reach outside its memory.
/// </summary>
/// <remarks>
/// A relative key is refused when it is empty; starts with <c>/</c> (an absolute form); repeats the agent's own prefix
/// (the model confused the two forms); has an empty segment (<c>a//b</c>, a trailing <c>/</c>), a <c>.</c> or a
/// <c>..</c> segment; contains a control character (U+0000–U+001F, U+007F); or makes the store key longer than
/// <see cref="IKeyValueStore.MaxKeyLength"/> bytes. A list prefix follows the same rules except that it may be empty (the
/// whole memory) and may end with <c>/</c>.
/// </remarks>
internal sealed class AgentKeyScope
{
    private readonly byte[] _prefixBytes;

    public AgentKeyScope(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0 || prefix[^1] != '/')
        {
            throw new ArgumentException($"An agent's key prefix must be non-empty and end with '/' (got \"{prefix}\").", nameof(prefix));
        }

        if (prefix[0] == '/' || prefix.Contains("//", StringComparison.Ordinal))
        {
            throw new ArgumentException($"An agent's key prefix must not start with '/' or contain an empty segment (got \"{prefix}\").", nameof(prefix));
        }

        Prefix = prefix;
        _prefixBytes = Encoding.UTF8.GetBytes(prefix);
        if (_prefixBytes.Length >= IKeyValueStore.MaxKeyLength)
        {
            throw new ArgumentException($"An agent's key prefix must leave room for a key: it is {_prefixBytes.Length} bytes, the limit is {IKeyValueStore.MaxKeyLength}.", nameof(prefix));
        }
    }

    /// <summary>The agent's prefix, ending with <c>/</c>.</summary>
    public string Prefix { get; }

    /// <summary>The longest relative key, in UTF-8 bytes.</summary>
    public int MaxRelativeKeyBytes => IKeyValueStore.MaxKeyLength - _prefixBytes.Length;

    /// <summary>The store key for <paramref name="relativeKey"/>; throws <see cref="ToolArgumentException"/> when refused.</summary>
    public byte[] ToStoreKey(string relativeKey, string argument)
    {
        if (relativeKey.Length == 0)
        {
            throw new ToolArgumentException(argument, "must not be empty");
        }

        CheckPath(relativeKey, argument, allowTrailingSlash: false);
        return Combine(relativeKey, argument);
    }

    /// <summary>The store prefix for <paramref name="relativePrefix"/> (empty: the whole memory).</summary>
    public byte[] ToStorePrefix(string relativePrefix, string argument)
    {
        if (relativePrefix.Length == 0)
        {
            return _prefixBytes;
        }

        CheckPath(relativePrefix, argument, allowTrailingSlash: true);
        return Combine(relativePrefix, argument);
    }

    /// <summary>Whether <paramref name="storeKey"/> lies under this prefix.</summary>
    public bool Contains(ReadOnlySpan<byte> storeKey) => storeKey.Length > _prefixBytes.Length && storeKey.StartsWith(_prefixBytes);

    /// <summary>The relative form of a store key under this prefix.</summary>
    public string ToRelativeKey(byte[] storeKey) =>
        Encoding.UTF8.GetString(storeKey, _prefixBytes.Length, storeKey.Length - _prefixBytes.Length);

    private byte[] Combine(string relative, string argument)
    {
        int relativeBytes = Encoding.UTF8.GetByteCount(relative);
        if (relativeBytes > MaxRelativeKeyBytes)
        {
            throw new ToolArgumentException(argument,
                $"is too long: at most {MaxRelativeKeyBytes} bytes of UTF-8 here, and this one is {relativeBytes}");
        }

        byte[] key = new byte[_prefixBytes.Length + relativeBytes];
        _prefixBytes.CopyTo(key, 0);
        Encoding.UTF8.GetBytes(relative, 0, relative.Length, key, _prefixBytes.Length);
        return key;
    }

    private void CheckPath(string path, string argument, bool allowTrailingSlash)
    {
        if (path[0] == '/')
        {
            throw new ToolArgumentException(argument,
                "must be relative to your memory: drop the leading '/' (absolute keys cannot be reached from this tool)");
        }

        if (path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new ToolArgumentException(argument,
                $"must be relative to your memory: write \"{path[Prefix.Length..]}\" instead of repeating the prefix \"{Prefix}\"");
        }

        foreach (char c in path)
        {
            if (c < 0x20 || c == 0x7F)
            {
                throw new ToolArgumentException(argument, $"must not contain control characters (found U+{(int)c:X4})");
            }
        }

        int start = 0;
        while (start <= path.Length)
        {
            int slash = path.IndexOf('/', start);
            int end = slash < 0 ? path.Length : slash;
            ReadOnlySpan<char> segment = path.AsSpan(start, end - start);
            bool last = slash < 0;
            if (segment.IsEmpty && !(last && allowTrailingSlash && start > 0))
            {
                throw new ToolArgumentException(argument,
                    "must not contain an empty segment ('//' or a trailing '/'); use names like \"notes/today\"");
            }

            if (segment is "." or "..")
            {
                throw new ToolArgumentException(argument,
                    $"must not contain a '{segment}' segment: keys are never resolved, and nothing outside your memory can be reached");
            }

            if (last)
            {
                break;
            }

            start = slash + 1;
        }
    }
}
