using System;
using System.Collections.Generic;

namespace SochDb.Policy;

/// <summary>
/// Who is asking: the agent, the session and any custom items. Immutable, so one instance can be reused
/// across operations and threads (reusing it keeps the engine's allowed path allocation-free).
/// </summary>
public sealed class PolicyContext
{
    /// <summary>The item name that <see cref="AgentId"/> answers to in <see cref="Get"/> and rate-limit scopes.</summary>
    public const string AgentIdItem = "agent_id";

    /// <summary>The item name that <see cref="SessionId"/> answers to in <see cref="Get"/> and rate-limit scopes.</summary>
    public const string SessionIdItem = "session_id";

    private static readonly KeyValuePair<string, string>[] NoItems = Array.Empty<KeyValuePair<string, string>>();

    private KeyValuePair<string, string>[] _items = NoItems;

    /// <summary>An empty context: no agent, no session, no items.</summary>
    public static PolicyContext Empty { get; } = new();

    /// <summary>The calling agent, if known.</summary>
    public string? AgentId { get; init; }

    /// <summary>The calling session, if known.</summary>
    public string? SessionId { get; init; }

    /// <summary>The custom items (excluding <see cref="AgentId"/> and <see cref="SessionId"/>), in ordinal order of name.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Items => _items;

    /// <summary>The value of item <paramref name="name"/>; <c>agent_id</c> and <c>session_id</c> return the two fields.</summary>
    public string? Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == AgentIdItem)
        {
            return AgentId;
        }

        if (name == SessionIdItem)
        {
            return SessionId;
        }

        int index = IndexOf(_items, name);
        return index >= 0 ? _items[index].Value : null;
    }

    /// <summary>Whether item <paramref name="name"/> is present.</summary>
    public bool Has(string name) => Get(name) is not null;

    /// <summary>A copy of this context with item <paramref name="name"/> set to <paramref name="value"/> (null removes it).</summary>
    public PolicyContext With(string name, string? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == AgentIdItem)
        {
            return new PolicyContext { AgentId = value, SessionId = SessionId, _items = _items };
        }

        if (name == SessionIdItem)
        {
            return new PolicyContext { AgentId = AgentId, SessionId = value, _items = _items };
        }

        var items = new List<KeyValuePair<string, string>>(_items);
        int index = IndexOf(_items, name);
        if (index >= 0)
        {
            items.RemoveAt(index);
        }

        if (value is not null)
        {
            items.Add(new KeyValuePair<string, string>(name, value));
            items.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        }

        return new PolicyContext { AgentId = AgentId, SessionId = SessionId, _items = items.ToArray() };
    }

    /// <summary>Builds a context from the seed SDKs' dictionary shape (<c>{"agent_id": "a1", "redact_pii": "1"}</c>).</summary>
    /// <remarks>Null values are left out; non-string values are converted with the invariant culture.</remarks>
    public static PolicyContext FromDictionary(IEnumerable<KeyValuePair<string, object?>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        PolicyContext context = Empty;
        foreach (KeyValuePair<string, object?> item in items)
        {
            if (string.IsNullOrEmpty(item.Key))
            {
                throw new ArgumentException("A context item name must not be null or empty.", nameof(items));
            }

            string? value = item.Value switch
            {
                null => null,
                string s => s,
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                _ => item.Value.ToString(),
            };
            context = context.With(item.Key, value);
        }

        return context;
    }

    /// <summary>Builds a context from string items (see <see cref="FromDictionary(IEnumerable{KeyValuePair{string, object}})"/>).</summary>
    public static PolicyContext FromDictionary(IEnumerable<KeyValuePair<string, string?>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var converted = new List<KeyValuePair<string, object?>>();
        foreach (KeyValuePair<string, string?> item in items)
        {
            converted.Add(new KeyValuePair<string, object?>(item.Key, item.Value));
        }

        return FromDictionary(converted);
    }

    private static int IndexOf(KeyValuePair<string, string>[] items, string name)
    {
        for (int i = 0; i < items.Length; i++)
        {
            if (string.Equals(items[i].Key, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
