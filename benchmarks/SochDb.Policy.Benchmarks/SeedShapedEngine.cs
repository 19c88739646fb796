using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// The seed SDKs' approach, rebuilt for comparison: one anchored compiled Regex per glob, scanned in order
/// for every key, a context dictionary per call, and a ConcurrentDictionary as the store.
/// </summary>
public sealed class SeedShapedEngine
{
    private readonly (Regex Pattern, Func<string, IDictionary<string, string>, bool> Handler)[] _rules;
    private readonly ConcurrentDictionary<string, byte[]> _store = new();

    public SeedShapedEngine(IEnumerable<string> patterns)
    {
        _rules = patterns.Select(p => (new Regex(ToRegex(p), RegexOptions.Compiled | RegexOptions.CultureInvariant),
            (Func<string, IDictionary<string, string>, bool>)((_, _) => true))).ToArray();
    }

    /// <summary>Every matching handler runs (as ours do); returns whether all allowed.</summary>
    public bool Decide(string key, IDictionary<string, string> context)
    {
        bool allowed = true;
        foreach ((Regex pattern, Func<string, IDictionary<string, string>, bool> handler) in _rules)
        {
            if (pattern.IsMatch(key))
            {
                allowed &= handler(key, context);
            }
        }

        return allowed;
    }

    public void Put(string key, byte[] value, string agentId)
    {
        var context = new Dictionary<string, string> { ["agent_id"] = agentId };
        if (Decide(key, context))
        {
            _store[key] = value;
        }
    }

    /// <summary>Glob to anchored regex, the way the seed SDKs translate (with their literal escaping fixed).</summary>
    public static string ToRegex(string glob)
    {
        var regex = new StringBuilder("^");
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    regex.Append(".*");
                    i++;
                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    int close = glob.IndexOf(']', i + 1);
                    regex.Append('[').Append(glob.AsSpan(i + 1, close - i - 1).ToString().Replace('!', '^')).Append(']');
                    i = close;
                    break;
                case '{':
                    int end = glob.IndexOf('}', i);
                    regex.Append("(?:").Append(string.Join('|', glob.Substring(i + 1, end - i - 1).Split(',').Select(Regex.Escape))).Append(')');
                    i = end;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return regex.Append('$').ToString();
    }
}
