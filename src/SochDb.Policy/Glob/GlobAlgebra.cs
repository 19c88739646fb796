using System;
using System.Collections.Generic;

namespace SochDb.Policy.Glob;

/// <summary>An answer of the glob algebra: yes, no, or not analysed (the work needed passed the budget).</summary>
internal enum GlobVerdict
{
    /// <summary>The relation does not hold.</summary>
    No,
    /// <summary>The relation holds.</summary>
    Yes,
    /// <summary>Deciding would have taken more states than the budget allows; nothing is claimed.</summary>
    NotAnalysed,
}

/// <summary>A verdict, with a key that shows it where there is one.</summary>
internal readonly struct GlobRelation
{
    public GlobRelation(GlobVerdict verdict, byte[]? witness)
    {
        Verdict = verdict;
        Witness = witness;
    }

    /// <summary>Yes, no, or not analysed.</summary>
    public GlobVerdict Verdict { get; }

    /// <summary>
    /// For <see cref="GlobAlgebra.Overlaps(GlobAutomaton, GlobAutomaton, int)"/> answering yes: a key both match. For
    /// <see cref="GlobAlgebra.Includes(GlobAutomaton, GlobAutomaton, int)"/> answering no: a key the second matches and
    /// the first does not. Otherwise null. A shortest such key.
    /// </summary>
    public byte[]? Witness { get; }

    public bool IsYes => Verdict == GlobVerdict.Yes;

    public bool IsNo => Verdict == GlobVerdict.No;

    public override string ToString() => Verdict.ToString();
}

/// <summary>
/// Exact relations between glob patterns, over the whole grammar (docs/semantics.md): <see cref="Includes(GlobPattern, GlobPattern, int)"/>
/// (every key the second matches, the first matches), <see cref="Overlaps(GlobPattern, GlobPattern, int)"/> (some key both match) and
/// <see cref="Equivalent(GlobPattern, GlobPattern, int)"/>. Decided on automata (<see cref="GlobAutomaton"/>) by a breadth-first walk of
/// their product; the walk visits at most <c>budget</c> pairs of states, and past that answers
/// <see cref="GlobVerdict.NotAnalysed"/> — never a guess, never an unbounded run. Like the grammar, this file is linked
/// into the analyzers, so the IDE and the engine decide the same way.
/// </summary>
internal static class GlobAlgebra
{
    /// <summary>The default budget: pairs of states one comparison may visit.</summary>
    public const int DefaultBudget = 20_000;

    /// <summary>Whether every key <paramref name="b"/> matches, <paramref name="a"/> matches too.</summary>
    public static GlobRelation Includes(GlobPattern a, GlobPattern b, int budget = DefaultBudget)
    {
        GlobAlphabet alphabet = GlobAlphabet.For(a, b);
        return Includes(GlobAutomaton.Build(a, alphabet), GlobAutomaton.Build(b, alphabet), budget);
    }

    /// <summary>Whether some key matches both patterns.</summary>
    public static GlobRelation Overlaps(GlobPattern a, GlobPattern b, int budget = DefaultBudget)
    {
        GlobAlphabet alphabet = GlobAlphabet.For(a, b);
        return Overlaps(GlobAutomaton.Build(a, alphabet), GlobAutomaton.Build(b, alphabet), budget);
    }

    /// <summary>Whether the two patterns match exactly the same keys.</summary>
    public static GlobRelation Equivalent(GlobPattern a, GlobPattern b, int budget = DefaultBudget)
    {
        GlobAlphabet alphabet = GlobAlphabet.For(a, b);
        return Equivalent(GlobAutomaton.Build(a, alphabet), GlobAutomaton.Build(b, alphabet), budget);
    }

    /// <summary><see cref="Includes(GlobPattern, GlobPattern, int)"/> on pattern texts.</summary>
    /// <exception cref="ArgumentException">A pattern is not valid; the message says where and why.</exception>
    public static GlobRelation Includes(string a, string b, int budget = DefaultBudget) => Includes(Parse(a, nameof(a)), Parse(b, nameof(b)), budget);

    /// <summary><see cref="Overlaps(GlobPattern, GlobPattern, int)"/> on pattern texts.</summary>
    /// <exception cref="ArgumentException">A pattern is not valid; the message says where and why.</exception>
    public static GlobRelation Overlaps(string a, string b, int budget = DefaultBudget) => Overlaps(Parse(a, nameof(a)), Parse(b, nameof(b)), budget);

    /// <summary><see cref="Equivalent(GlobPattern, GlobPattern, int)"/> on pattern texts.</summary>
    /// <exception cref="ArgumentException">A pattern is not valid; the message says where and why.</exception>
    public static GlobRelation Equivalent(string a, string b, int budget = DefaultBudget) => Equivalent(Parse(a, nameof(a)), Parse(b, nameof(b)), budget);

    /// <summary>Inclusion on automata over one alphabet: a key <paramref name="b"/> accepts and <paramref name="a"/> does not is searched for.</summary>
    public static GlobRelation Includes(GlobAutomaton a, GlobAutomaton b, int budget = DefaultBudget)
    {
        GlobRelation found = Search(b, a, budget, static (accepts, other) => accepts && !other);
        return found.Verdict switch
        {
            GlobVerdict.Yes => new GlobRelation(GlobVerdict.No, found.Witness),
            GlobVerdict.No => new GlobRelation(GlobVerdict.Yes, null),
            _ => found,
        };
    }

    /// <summary>Overlap on automata over one alphabet.</summary>
    public static GlobRelation Overlaps(GlobAutomaton a, GlobAutomaton b, int budget = DefaultBudget) =>
        Search(a, b, budget, static (first, second) => first && second);

    /// <summary>Equivalence on automata over one alphabet: inclusion both ways (the witness, when no, is a key one matches and the other does not).</summary>
    public static GlobRelation Equivalent(GlobAutomaton a, GlobAutomaton b, int budget = DefaultBudget)
    {
        GlobRelation forward = Includes(a, b, budget);
        if (!forward.IsYes)
        {
            return forward;
        }

        return Includes(b, a, budget);
    }

    private static GlobPattern Parse(string pattern, string parameter)
    {
        if (pattern is null)
        {
            throw new ArgumentNullException(parameter);
        }

        return GlobParser.TryParse(pattern, out GlobPattern? parsed, out GlobParseError? error)
            ? parsed!
            : throw new ArgumentException($"invalid glob \"{pattern}\": {error!.Message}", parameter);
    }

    /// <summary>
    /// Walks the product of the two deterministic automata breadth first, from the pair of start states, until a pair
    /// satisfies <paramref name="goal"/> (answer yes, with the shortest key leading there) or no pair is left (no).
    /// </summary>
    private static GlobRelation Search(GlobAutomaton first, GlobAutomaton second, int budget, Func<bool, bool, bool> goal)
    {
        if (!ReferenceEquals(first.Alphabet, second.Alphabet))
        {
            throw new ArgumentException("Both automata must read the same alphabet.", nameof(second));
        }

        int symbols = first.Alphabet.Count;
        var seen = new Dictionary<long, int>();
        var states = new List<long>();
        var parents = new List<int>();
        var via = new List<int>();
        long start = Pair(first.Start, second.Start);
        seen.Add(start, 0);
        states.Add(start);
        parents.Add(-1);
        via.Add(-1);
        for (int index = 0; index < states.Count; index++)
        {
            int p = (int)(states[index] >> 32);
            int q = (int)(states[index] & 0xFFFFFFFF);
            if (goal(first.Accepts(p), second.Accepts(q)))
            {
                return new GlobRelation(GlobVerdict.Yes, Witness(first.Alphabet, index, parents, via));
            }

            for (int symbol = 0; symbol < symbols; symbol++)
            {
                int p2 = first.Next(p, symbol);
                int q2 = ReferenceEquals(first, second) ? p2 : second.Next(q, symbol);
                if (p2 == GlobAutomaton.Exhausted || q2 == GlobAutomaton.Exhausted)
                {
                    return new GlobRelation(GlobVerdict.NotAnalysed, null);
                }

                long pair = Pair(p2, q2);
                if (seen.ContainsKey(pair))
                {
                    continue;
                }

                if (states.Count >= budget)
                {
                    return new GlobRelation(GlobVerdict.NotAnalysed, null);
                }

                seen.Add(pair, states.Count);
                states.Add(pair);
                parents.Add(index);
                via.Add(symbol);
            }
        }

        return new GlobRelation(GlobVerdict.No, null);
    }

    private static long Pair(int p, int q) => ((long)p << 32) | (uint)q;

    private static byte[] Witness(GlobAlphabet alphabet, int index, List<int> parents, List<int> via)
    {
        var symbols = new List<int>();
        for (int at = index; parents[at] >= 0; at = parents[at])
        {
            symbols.Add(via[at]);
        }

        symbols.Reverse();
        var key = new List<byte>();
        foreach (int symbol in symbols)
        {
            alphabet.AppendExample(key, symbol);
        }

        return key.ToArray();
    }

    /// <summary>A key for a message: printable ASCII as is, anything else escaped (<c>\xFF</c>), in quotes.</summary>
    public static string Display(byte[] key)
    {
        var text = new System.Text.StringBuilder(key.Length + 2).Append('"');
        foreach (byte b in key)
        {
            if (b >= 0x20 && b < 0x7F && b != '"' && b != '\\')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append("\\x").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.Append('"').ToString();
    }
}
