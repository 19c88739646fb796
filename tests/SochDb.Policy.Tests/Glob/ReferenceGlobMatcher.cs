using System.Text;

namespace SochDb.Policy.Tests.Glob;

/// <summary>
/// A deliberately simple glob matcher written straight from the grammar in docs/semantics.md, sharing no code with GlobParser or
/// GlobMatcher: it splits the pattern text into segments, expands braces into plain alternatives, and matches
/// by naive recursive backtracking. Slow (exponential in the worst case), so only for small patterns and keys.
/// It assumes a valid pattern.
/// </summary>
/// <remarks>
/// A key segment is read as a sequence of characters: left to right, a well-formed UTF-8 sequence (RFC 3629: no
/// overlongs, no surrogates, nothing above U+10FFFF) is one character, and any other byte is a character on its
/// own that equals no pattern character, is in no positive class and is in every negated class. <c>*</c> takes
/// whole characters: it never splits a well-formed sequence, so <c>*[!é]</c> does not match <c>é</c> by letting
/// the class see the sequence's last byte.
/// </remarks>
internal static class ReferenceGlobMatcher
{
    /// <summary>A key character that is not well-formed UTF-8.</summary>
    private const int InvalidByte = -1;

    public static bool IsMatch(string pattern, byte[] key)
    {
        List<string> patternSegments = SplitPattern(pattern);
        List<int[]> keySegments = SplitKey(key);
        return MatchSegments(patternSegments, 0, keySegments, 0);
    }

    private static bool MatchSegments(List<string> pattern, int p, List<int[]> key, int k)
    {
        if (p == pattern.Count)
        {
            return k == key.Count;
        }

        if (pattern[p] == "**")
        {
            // Trailing '**' takes one or more segments ("a/**" matches "a/" but not "a"); elsewhere zero or more.
            int least = p == pattern.Count - 1 ? 1 : 0;
            for (int taken = least; k + taken <= key.Count; taken++)
            {
                if (MatchSegments(pattern, p + 1, key, k + taken))
                {
                    return true;
                }
            }

            return false;
        }

        if (k == key.Count)
        {
            return false;
        }

        foreach (string alternative in ExpandBraces(pattern[p]))
        {
            if (MatchChars(alternative, 0, key[k], 0) && MatchSegments(pattern, p + 1, key, k + 1))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Splits on '/' and on the escaped '\/', which is the separator too.</summary>
    private static List<string> SplitPattern(string pattern)
    {
        var segments = new List<string>();
        var current = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                if (pattern[i + 1] == '/')
                {
                    segments.Add(current.ToString());
                    current.Clear();
                }
                else
                {
                    current.Append(pattern, i, 2);
                }

                i++;
            }
            else if (pattern[i] == '/')
            {
                segments.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(pattern[i]);
            }
        }

        segments.Add(current.ToString());
        return segments;
    }

    /// <summary>Every brace-free pattern the segment stands for; escapes and classes are copied untouched.</summary>
    private static List<string> ExpandBraces(string segment)
    {
        var results = new List<string> { "" };
        int i = 0;
        while (i < segment.Length)
        {
            if (segment[i] == '{')
            {
                var alternatives = new List<string>();
                var current = new StringBuilder();
                i++;
                while (segment[i] != '}')
                {
                    if (segment[i] == ',')
                    {
                        alternatives.Add(current.ToString());
                        current.Clear();
                        i++;
                    }
                    else
                    {
                        int end = ElementEnd(segment, i);
                        current.Append(segment, i, end - i);
                        i = end;
                    }
                }

                alternatives.Add(current.ToString());
                i++;
                results = results.SelectMany(prefix => alternatives.Select(a => prefix + a)).ToList();
            }
            else
            {
                int end = ElementEnd(segment, i);
                string element = segment[i..end];
                results = results.Select(prefix => prefix + element).ToList();
                i = end;
            }
        }

        return results;
    }

    /// <summary>End of the element at <paramref name="i"/>: an escape pair, a whole class, or one character.</summary>
    private static int ElementEnd(string text, int i)
    {
        if (text[i] == '\\')
        {
            return i + 1 + CharLength(text, i + 1);
        }

        if (text[i] == '[')
        {
            ReadClass(text, i, out int end);
            return end;
        }

        return i + CharLength(text, i);
    }

    private static int CharLength(string text, int i) => char.IsHighSurrogate(text[i]) ? 2 : 1;

    private static bool MatchChars(string pattern, int p, int[] key, int k)
    {
        if (p == pattern.Length)
        {
            return k == key.Length;
        }

        switch (pattern[p])
        {
            case '*':
                for (int taken = 0; k + taken <= key.Length; taken++)
                {
                    if (MatchChars(pattern, p + 1, key, k + taken))
                    {
                        return true;
                    }
                }

                return false;
            case '?':
                return k < key.Length && MatchChars(pattern, p + 1, key, k + 1);
            case '[':
            {
                Func<int, bool> member = ReadClass(pattern, p, out int end);
                return k < key.Length && member(key[k]) && MatchChars(pattern, end, key, k + 1);
            }

            case '\\':
                p++;
                goto default;
            default:
            {
                int scalar = char.ConvertToUtf32(pattern, p);
                return k < key.Length && key[k] == scalar && MatchChars(pattern, p + CharLength(pattern, p), key, k + 1);
            }
        }
    }

    /// <summary>Reads the class starting at <paramref name="open"/> (a '['): its membership test and where it ends.</summary>
    private static Func<int, bool> ReadClass(string text, int open, out int end)
    {
        int i = open + 1;
        bool negated = text[i] == '!';
        if (negated)
        {
            i++;
        }

        var ranges = new List<(int Low, int High)>();
        bool first = true;
        while (first || text[i] != ']')
        {
            first = false;
            int low = ReadClassChar(text, ref i);
            int high = low;
            if (text[i] == '-' && text[i + 1] != ']')
            {
                i++;
                high = ReadClassChar(text, ref i);
            }

            ranges.Add((low, high));
        }

        end = i + 1;
        return c => c == InvalidByte ? negated : ranges.Any(r => c >= r.Low && c <= r.High) != negated;
    }

    private static int ReadClassChar(string text, ref int i)
    {
        if (text[i] == '\\')
        {
            i++;
        }

        int scalar = char.ConvertToUtf32(text, i);
        i += CharLength(text, i);
        return scalar;
    }

    private static List<int[]> SplitKey(byte[] key)
    {
        var segments = new List<int[]>();
        int start = 0;
        for (int i = 0; i <= key.Length; i++)
        {
            if (i == key.Length || key[i] == (byte)'/')
            {
                segments.Add(Decode(key.AsSpan(start, i - start)));
                start = i + 1;
            }
        }

        return segments;
    }

    /// <summary>Characters of a segment: scalar values, or <see cref="InvalidByte"/> for each byte that is not part of well-formed UTF-8.</summary>
    internal static int[] Decode(ReadOnlySpan<byte> bytes)
    {
        var chars = new List<int>();
        int i = 0;
        while (i < bytes.Length)
        {
            int length = WellFormedLength(bytes[i..]);
            if (length == 0)
            {
                chars.Add(InvalidByte);
                i++;
                continue;
            }

            int scalar = length switch
            {
                1 => bytes[i],
                2 => ((bytes[i] & 0x1F) << 6) | (bytes[i + 1] & 0x3F),
                3 => ((bytes[i] & 0x0F) << 12) | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F),
                _ => ((bytes[i] & 0x07) << 18) | ((bytes[i + 1] & 0x3F) << 12) | ((bytes[i + 2] & 0x3F) << 6) | (bytes[i + 3] & 0x3F),
            };
            chars.Add(scalar);
            i += length;
        }

        return chars.ToArray();
    }

    /// <summary>The length of the well-formed sequence at the start of <paramref name="b"/> (Unicode table 3-7), or 0.</summary>
    private static int WellFormedLength(ReadOnlySpan<byte> b)
    {
        static bool In(ReadOnlySpan<byte> s, int index, int low, int high) => index < s.Length && s[index] >= low && s[index] <= high;

        byte first = b[0];
        if (first <= 0x7F)
        {
            return 1;
        }

        if (first >= 0xC2 && first <= 0xDF)
        {
            return In(b, 1, 0x80, 0xBF) ? 2 : 0;
        }

        if (first >= 0xE0 && first <= 0xEF)
        {
            int low = first == 0xE0 ? 0xA0 : 0x80;
            int high = first == 0xED ? 0x9F : 0xBF;
            return In(b, 1, low, high) && In(b, 2, 0x80, 0xBF) ? 3 : 0;
        }

        if (first >= 0xF0 && first <= 0xF4)
        {
            int low = first == 0xF0 ? 0x90 : 0x80;
            int high = first == 0xF4 ? 0x8F : 0xBF;
            return In(b, 1, low, high) && In(b, 2, 0x80, 0xBF) && In(b, 3, 0x80, 0xBF) ? 4 : 0;
        }

        return 0;
    }
}
