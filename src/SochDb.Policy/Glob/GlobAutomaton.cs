using System;
using System.Collections.Generic;

namespace SochDb.Policy.Glob;

/// <summary>
/// A pattern (or a union of patterns) as a finite automaton over the symbols of a <see cref="GlobAlphabet"/>: built
/// as a nondeterministic automaton straight from the parsed model, and determinized lazily, one subset state at a
/// time, when a comparison first needs it. The deterministic states found are kept, so comparing one pattern with many
/// others pays for each of its states once. At most <see cref="MaxStates"/> deterministic states are made; past that
/// <see cref="Next"/> answers <see cref="Exhausted"/> and the comparison says "not analysed". Not thread-safe.
/// </summary>
internal sealed class GlobAutomaton
{
    /// <summary>What <see cref="Next"/> answers when making the state would pass <see cref="MaxStates"/>.</summary>
    public const int Exhausted = -1;

    /// <summary>The default cap on deterministic states per automaton.</summary>
    public const int DefaultMaxStates = 4096;

    private readonly int _stateCount;
    private readonly int[][] _edgeLabels;     // per NFA state: the label of each outgoing edge
    private readonly int[][] _edgeTargets;    // per NFA state: the target of each outgoing edge
    private readonly bool[][] _labelAdmits;   // per label: per symbol, whether the edge may be taken
    private readonly ulong[][] _closures;     // per NFA state: the states reachable by empty moves, itself included
    private readonly bool[] _accepting;
    private readonly int _words;

    // The deterministic states found so far: subset -> number, and each number's subset, acceptance and row.
    private readonly Dictionary<SubsetKey, int> _ids = new();
    private readonly List<ulong[]> _subsets = new();
    private readonly List<bool> _dfaAccepting = new();
    private readonly List<int[]> _rows = new();

    private GlobAutomaton(GlobAlphabet alphabet, Builder builder, int maxStates)
    {
        Alphabet = alphabet;
        MaxStates = maxStates;
        _stateCount = builder.StateCount;
        _words = (_stateCount + 63) >> 6;
        _edgeLabels = new int[_stateCount][];
        _edgeTargets = new int[_stateCount][];
        for (int s = 0; s < _stateCount; s++)
        {
            _edgeLabels[s] = builder.EdgeLabels[s].ToArray();
            _edgeTargets[s] = builder.EdgeTargets[s].ToArray();
        }

        _labelAdmits = new bool[builder.Labels.Count][];
        for (int l = 0; l < builder.Labels.Count; l++)
        {
            var admits = new bool[alphabet.Count];
            for (int symbol = 0; symbol < admits.Length; symbol++)
            {
                admits[symbol] = builder.Labels[l].Admits(alphabet, symbol);
            }

            _labelAdmits[l] = admits;
        }

        _accepting = builder.Accepting.ToArray();
        _closures = Closures(builder);
        Start = Intern(_closures[builder.Start]);
    }

    /// <summary>The alphabet the automaton reads.</summary>
    public GlobAlphabet Alphabet { get; }

    /// <summary>The most deterministic states this automaton makes.</summary>
    public int MaxStates { get; }

    /// <summary>The start state (deterministic).</summary>
    public int Start { get; }

    /// <summary>How many deterministic states have been made so far.</summary>
    public int StateCount => _subsets.Count;

    /// <summary>The automaton of <paramref name="pattern"/> over <paramref name="alphabet"/> (which must separate its characters).</summary>
    public static GlobAutomaton Build(GlobPattern pattern, GlobAlphabet alphabet, int maxStates = DefaultMaxStates)
    {
        var builder = new Builder();
        int start = builder.NewState();
        builder.Start = start;
        builder.AddPattern(pattern, start);
        return new GlobAutomaton(alphabet, builder, maxStates);
    }

    /// <summary>The automaton matching what any of <paramref name="patterns"/> matches.</summary>
    public static GlobAutomaton Union(IReadOnlyList<GlobPattern> patterns, GlobAlphabet alphabet, int maxStates = DefaultMaxStates)
    {
        var builder = new Builder();
        int start = builder.NewState();
        builder.Start = start;
        foreach (GlobPattern pattern in patterns)
        {
            int entry = builder.NewState();
            builder.AddEmpty(start, entry);
            builder.AddPattern(pattern, entry);
        }

        return new GlobAutomaton(alphabet, builder, maxStates);
    }

    /// <summary>Whether deterministic state <paramref name="state"/> accepts (the characters read so far are a match).</summary>
    public bool Accepts(int state) => _dfaAccepting[state];

    /// <summary>The state after reading <paramref name="symbol"/> in <paramref name="state"/>, or <see cref="Exhausted"/>.</summary>
    public int Next(int state, int symbol)
    {
        int[] row = _rows[state];
        int next = row[symbol];
        if (next != -2)
        {
            return next;
        }

        ulong[] from = _subsets[state];
        var to = new ulong[_words];
        for (int word = 0; word < from.Length; word++)
        {
            ulong bits = from[word];
            while (bits != 0)
            {
                int s = (word << 6) + TrailingZeros(bits);
                bits &= bits - 1;
                int[] labels = _edgeLabels[s];
                for (int e = 0; e < labels.Length; e++)
                {
                    if (_labelAdmits[labels[e]][symbol])
                    {
                        ulong[] closure = _closures[_edgeTargets[s][e]];
                        for (int w = 0; w < to.Length; w++)
                        {
                            to[w] |= closure[w];
                        }
                    }
                }
            }
        }

        next = Intern(to);
        row[symbol] = next;
        return next;
    }

    /// <summary>Whether the automaton accepts <paramref name="key"/> (text, read as UTF-8); null when it ran out of states.</summary>
    /// <remarks>Every character of <paramref name="key"/> but <c>/</c> must be one the alphabet was made from.</remarks>
    public bool? Matches(string key)
    {
        int state = Start;
        for (int i = 0; i < key.Length; i++)
        {
            int scalar = char.ConvertToUtf32(key, i);
            if (scalar > 0xFFFF)
            {
                i++;
            }

            state = Next(state, Alphabet.SymbolOf(scalar));
            if (state == Exhausted)
            {
                return null;
            }
        }

        return Accepts(state);
    }

    private int Intern(ulong[] subset)
    {
        var key = new SubsetKey(subset);
        if (_ids.TryGetValue(key, out int id))
        {
            return id;
        }

        if (_subsets.Count >= MaxStates)
        {
            return Exhausted;
        }

        id = _subsets.Count;
        _ids.Add(key, id);
        _subsets.Add(subset);
        bool accepting = false;
        for (int word = 0; word < subset.Length && !accepting; word++)
        {
            ulong bits = subset[word];
            while (bits != 0)
            {
                int s = (word << 6) + TrailingZeros(bits);
                bits &= bits - 1;
                if (_accepting[s])
                {
                    accepting = true;
                    break;
                }
            }
        }

        _dfaAccepting.Add(accepting);
        var row = new int[Alphabet.Count];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = -2;
        }

        _rows.Add(row);
        return id;
    }

    private static ulong[][] Closures(Builder builder)
    {
        int count = builder.StateCount;
        int words = (count + 63) >> 6;
        var closures = new ulong[count][];
        var stack = new Stack<int>();
        for (int s = 0; s < count; s++)
        {
            var closure = new ulong[words];
            closure[s >> 6] |= 1UL << (s & 63);
            stack.Push(s);
            while (stack.Count > 0)
            {
                foreach (int t in builder.Empty[stack.Pop()])
                {
                    if ((closure[t >> 6] & (1UL << (t & 63))) == 0)
                    {
                        closure[t >> 6] |= 1UL << (t & 63);
                        stack.Push(t);
                    }
                }
            }

            closures[s] = closure;
        }

        return closures;
    }

    private static int TrailingZeros(ulong value)
    {
        int count = 0;
        if ((value & 0xFFFFFFFFUL) == 0)
        {
            count += 32;
            value >>= 32;
        }

        if ((value & 0xFFFFUL) == 0)
        {
            count += 16;
            value >>= 16;
        }

        if ((value & 0xFFUL) == 0)
        {
            count += 8;
            value >>= 8;
        }

        if ((value & 0xFUL) == 0)
        {
            count += 4;
            value >>= 4;
        }

        if ((value & 0x3UL) == 0)
        {
            count += 2;
            value >>= 2;
        }

        return (value & 0x1UL) == 0 ? count + 1 : count;
    }

    /// <summary>What an edge reads: one scalar, any character but <c>/</c>, a class, or <c>/</c>.</summary>
    private sealed class Label
    {
        private readonly int _kind; // 0 scalar, 1 any but '/', 2 class, 3 '/'
        private readonly int _scalar;
        private readonly GlobToken? _class;

        private Label(int kind, int scalar, GlobToken? charClass)
        {
            _kind = kind;
            _scalar = scalar;
            _class = charClass;
        }

        public static readonly Label AnyButSlash = new(1, 0, null);
        public static readonly Label Separator = new(3, 0, null);

        public static Label Scalar(int scalar) => new(0, scalar, null);

        public static Label Class(GlobToken token) => new(2, 0, token);

        public bool Admits(GlobAlphabet alphabet, int symbol) => _kind switch
        {
            0 => symbol == alphabet.SymbolOf(_scalar),
            1 => symbol != GlobAlphabet.Slash,
            2 => alphabet.ClassAdmits(_class!, symbol),
            _ => symbol == GlobAlphabet.Slash,
        };
    }

    /// <summary>Builds the nondeterministic automaton: states, labelled edges and empty moves.</summary>
    private sealed class Builder
    {
        public readonly List<List<int>> EdgeLabels = new();
        public readonly List<List<int>> EdgeTargets = new();
        public readonly List<List<int>> Empty = new();
        public readonly List<bool> Accepting = new();
        public readonly List<Label> Labels = new() { Label.AnyButSlash, Label.Separator };
        private readonly Dictionary<int, int> _scalarLabels = new();
        public int Start;

        private const int AnyLabel = 0;
        private const int SlashLabel = 1;

        public int StateCount => Accepting.Count;

        public int NewState()
        {
            EdgeLabels.Add(new List<int>());
            EdgeTargets.Add(new List<int>());
            Empty.Add(new List<int>());
            Accepting.Add(false);
            return Accepting.Count - 1;
        }

        public void AddEmpty(int from, int to) => Empty[from].Add(to);

        private void AddEdge(int from, int label, int to)
        {
            EdgeLabels[from].Add(label);
            EdgeTargets[from].Add(to);
        }

        /// <summary>
        /// Segment by segment. A <c>**</c> segment at state B has a loop state M reached by an empty move (inside one
        /// key segment, any character but <c>/</c>), and M reads <c>/</c> back to B: so it takes whole segments. Not
        /// last, B also moves on empty to the next segment (zero segments taken); last, M accepts (one or more taken,
        /// so <c>a/**</c> matches <c>a/</c> but not <c>a</c>).
        /// </summary>
        public void AddPattern(GlobPattern pattern, int start)
        {
            int at = start;
            GlobSegment[] segments = pattern.Segments;
            for (int i = 0; i < segments.Length; i++)
            {
                bool last = i == segments.Length - 1;
                GlobSegment segment = segments[i];
                if (segment.Kind == GlobSegmentKind.DoubleStar)
                {
                    int loop = NewState();
                    AddEmpty(at, loop);
                    AddEdge(loop, AnyLabel, loop);
                    AddEdge(loop, SlashLabel, at);
                    if (last)
                    {
                        Accepting[loop] = true;
                    }
                    else
                    {
                        int next = NewState();
                        AddEmpty(at, next);
                        at = next;
                    }

                    continue;
                }

                int end = segment.Kind == GlobSegmentKind.Literal ? AddText(at, segment.Literal) : AddTokens(at, segment.Tokens);
                if (last)
                {
                    Accepting[end] = true;
                }
                else
                {
                    int next = NewState();
                    AddEdge(end, SlashLabel, next);
                    at = next;
                }
            }
        }

        private int AddText(int from, string text)
        {
            int at = from;
            for (int i = 0; i < text.Length; i++)
            {
                int scalar = char.ConvertToUtf32(text, i);
                if (scalar > 0xFFFF)
                {
                    i++;
                }

                int next = NewState();
                AddEdge(at, ScalarLabel(scalar), next);
                at = next;
            }

            return at;
        }

        private int AddTokens(int from, GlobToken[] tokens)
        {
            int at = from;
            foreach (GlobToken token in tokens)
            {
                switch (token.Kind)
                {
                    case GlobTokenKind.Literal:
                        at = AddText(at, token.Text);
                        break;
                    case GlobTokenKind.Star:
                    {
                        int loop = NewState();
                        AddEmpty(at, loop);
                        AddEdge(loop, AnyLabel, loop);
                        at = loop;
                        break;
                    }

                    case GlobTokenKind.AnyChar:
                    {
                        int next = NewState();
                        AddEdge(at, AnyLabel, next);
                        at = next;
                        break;
                    }

                    case GlobTokenKind.CharClass:
                    {
                        int next = NewState();
                        Labels.Add(Label.Class(token));
                        AddEdge(at, Labels.Count - 1, next);
                        at = next;
                        break;
                    }

                    case GlobTokenKind.Alternation:
                    {
                        int join = NewState();
                        foreach (GlobToken[] alternative in token.Alternatives)
                        {
                            int entry = NewState();
                            AddEmpty(at, entry);
                            AddEmpty(AddTokens(entry, alternative), join);
                        }

                        at = join;
                        break;
                    }
                }
            }

            return at;
        }

        private int ScalarLabel(int scalar)
        {
            if (!_scalarLabels.TryGetValue(scalar, out int label))
            {
                Labels.Add(Label.Scalar(scalar));
                label = Labels.Count - 1;
                _scalarLabels.Add(scalar, label);
            }

            return label;
        }
    }

    /// <summary>A subset of nondeterministic states as a dictionary key (compared by content).</summary>
    private readonly struct SubsetKey : IEquatable<SubsetKey>
    {
        private readonly ulong[] _bits;
        private readonly int _hash;

        public SubsetKey(ulong[] bits)
        {
            _bits = bits;
            ulong hash = 14695981039346656037UL;
            foreach (ulong word in bits)
            {
                hash = (hash ^ word) * 1099511628211UL;
            }

            _hash = (int)(hash ^ (hash >> 32));
        }

        public bool Equals(SubsetKey other)
        {
            if (_hash != other._hash || _bits.Length != other._bits.Length)
            {
                return false;
            }

            for (int i = 0; i < _bits.Length; i++)
            {
                if (_bits[i] != other._bits[i])
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is SubsetKey other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}
