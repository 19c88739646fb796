using System;
using System.Collections.Generic;

namespace SochDb.Policy.Glob;

/// <summary>
/// The characters of a set of patterns, cut into classes that no pattern tells apart: <c>/</c>, the byte that is not
/// UTF-8 (all such bytes are alike to every pattern: no literal or positive class holds one, every negated class and
/// every wildcard does), and intervals of Unicode scalar values bounded by the patterns' literals and class ranges.
/// </summary>
/// <remarks>
/// Why characters and not bytes decide exactly: a key is read left to right as well-formed UTF-8 sequences and single
/// bytes that are not (docs/semantics.md), and every string of such characters is the reading of some key (a scalar's
/// UTF-8 encoding; <c>0xFF</c> for the non-UTF-8 byte, which never starts or continues a sequence). So one pattern
/// matches every key another matches exactly when it does so over characters. Surrogate code points are no
/// characters of any key and are left out of every class.
/// </remarks>
internal sealed class GlobAlphabet
{
    /// <summary>The symbol of the separator <c>/</c>.</summary>
    public const int Slash = 0;

    /// <summary>The symbol of a byte that is not part of well-formed UTF-8.</summary>
    public const int InvalidByte = 1;

    private const int FirstInterval = 2;
    private const int MaxScalar = 0x10FFFF;

    // Interval i (symbol FirstInterval + i) runs from _lows[i] to _highs[i], inclusive; sorted, disjoint.
    private readonly int[] _lows;
    private readonly int[] _highs;

    private GlobAlphabet(int[] lows, int[] highs)
    {
        _lows = lows;
        _highs = highs;
    }

    /// <summary>How many symbols there are.</summary>
    public int Count => FirstInterval + _lows.Length;

    /// <summary>The alphabet that separates every character any of <paramref name="patterns"/> names.</summary>
    public static GlobAlphabet For(IEnumerable<GlobPattern> patterns)
    {
        var cuts = new List<int> { 0, '/', '/' + 1, 0xD800, 0xE000, MaxScalar + 1 };
        foreach (GlobPattern pattern in patterns)
        {
            foreach (GlobSegment segment in pattern.Segments)
            {
                if (segment.Kind == GlobSegmentKind.Literal)
                {
                    AddCuts(cuts, segment.Literal);
                }
                else
                {
                    AddCuts(cuts, segment.Tokens);
                }
            }
        }

        cuts.Sort();
        var lows = new List<int>();
        var highs = new List<int>();
        for (int i = 0; i + 1 < cuts.Count; i++)
        {
            int low = cuts[i];
            int high = cuts[i + 1] - 1;
            if (high < low || low == '/' || (low >= 0xD800 && low <= 0xDFFF))
            {
                continue;
            }

            lows.Add(low);
            highs.Add(high);
        }

        return new GlobAlphabet(lows.ToArray(), highs.ToArray());
    }

    /// <summary>The alphabet of <paramref name="patterns"/>.</summary>
    public static GlobAlphabet For(params GlobPattern[] patterns) => For((IEnumerable<GlobPattern>)patterns);

    /// <summary>The symbol of a scalar value (never a surrogate; <c>/</c> gives <see cref="Slash"/>).</summary>
    public int SymbolOf(int scalar)
    {
        if (scalar == '/')
        {
            return Slash;
        }

        int low = 0;
        int high = _lows.Length - 1;
        while (low <= high)
        {
            int middle = (low + high) >> 1;
            if (scalar < _lows[middle])
            {
                high = middle - 1;
            }
            else if (scalar > _highs[middle])
            {
                low = middle + 1;
            }
            else
            {
                return FirstInterval + middle;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(scalar), scalar, "Not a Unicode scalar value.");
    }

    /// <summary>Whether a character class token admits <paramref name="symbol"/> (never <c>/</c>).</summary>
    public bool ClassAdmits(GlobToken token, int symbol) => symbol switch
    {
        Slash => false,
        InvalidByte => token.ClassMatches(-1),
        _ => token.ClassMatches(_lows[symbol - FirstInterval]),
    };

    /// <summary>The bytes of one character of <paramref name="symbol"/>, preferring a readable one.</summary>
    public void AppendExample(List<byte> key, int symbol)
    {
        if (symbol == Slash)
        {
            key.Add((byte)'/');
            return;
        }

        if (symbol == InvalidByte)
        {
            key.Add(0xFF);
            return;
        }

        int scalar = Readable(_lows[symbol - FirstInterval], _highs[symbol - FirstInterval]);
        AppendUtf8(key, scalar);
    }

    private static int Readable(int low, int high)
    {
        foreach (int candidate in new[] { 'x', 'a', 'z', 'A', '0', '_', '-', '.' })
        {
            if (candidate >= low && candidate <= high)
            {
                return candidate;
            }
        }

        return low >= '!' || high < '!' ? low : '!';
    }

    private static void AppendUtf8(List<byte> key, int scalar)
    {
        if (scalar < 0x80)
        {
            key.Add((byte)scalar);
        }
        else if (scalar < 0x800)
        {
            key.Add((byte)(0xC0 | (scalar >> 6)));
            key.Add((byte)(0x80 | (scalar & 0x3F)));
        }
        else if (scalar < 0x10000)
        {
            key.Add((byte)(0xE0 | (scalar >> 12)));
            key.Add((byte)(0x80 | ((scalar >> 6) & 0x3F)));
            key.Add((byte)(0x80 | (scalar & 0x3F)));
        }
        else
        {
            key.Add((byte)(0xF0 | (scalar >> 18)));
            key.Add((byte)(0x80 | ((scalar >> 12) & 0x3F)));
            key.Add((byte)(0x80 | ((scalar >> 6) & 0x3F)));
            key.Add((byte)(0x80 | (scalar & 0x3F)));
        }
    }

    private static void AddCuts(List<int> cuts, string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            int scalar = char.ConvertToUtf32(text, i);
            if (scalar > 0xFFFF)
            {
                i++;
            }

            cuts.Add(scalar);
            cuts.Add(scalar + 1);
        }
    }

    private static void AddCuts(List<int> cuts, GlobToken[] tokens)
    {
        foreach (GlobToken token in tokens)
        {
            switch (token.Kind)
            {
                case GlobTokenKind.Literal:
                    AddCuts(cuts, token.Text);
                    break;
                case GlobTokenKind.CharClass:
                    foreach (GlobCharRange range in token.Ranges)
                    {
                        cuts.Add(range.First);
                        cuts.Add(range.Last + 1);
                    }

                    break;
                case GlobTokenKind.Alternation:
                    foreach (GlobToken[] alternative in token.Alternatives)
                    {
                        AddCuts(cuts, alternative);
                    }

                    break;
            }
        }
    }
}
