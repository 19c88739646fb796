using System.Collections.Generic;
using System.Text;

namespace SochDb.Policy.Glob;

/// <summary>
/// Parses the glob grammar (docs/semantics.md, "Glob grammar") into a <see cref="GlobPattern"/>. This file, like the rest of
/// this folder, compiles for netstandard2.0 too: the source generator and the analyzers link it, so the
/// runtime, the generator and the IDE can never disagree about what a pattern means.
/// </summary>
internal static class GlobParser
{
    /// <summary>The longest pattern accepted, in UTF-16 code units.</summary>
    public const int MaxPatternLength = 1024;

    /// <summary>Parses <paramref name="pattern"/>; on failure returns <see langword="false"/> and says why.</summary>
    public static bool TryParse(string pattern, out GlobPattern? result, out GlobParseError? error)
    {
        var parser = new State(pattern ?? string.Empty);
        error = parser.Run();
        result = error is null ? new GlobPattern(parser.Pattern, parser.Segments.ToArray()) : null;
        return error is null;
    }

    /// <summary>Returns the first error in <paramref name="pattern"/>, or <see langword="null"/> when it is valid.</summary>
    public static GlobParseError? Validate(string pattern)
    {
        TryParse(pattern, out _, out GlobParseError? error);
        return error;
    }

    private sealed class State
    {
        public readonly string Pattern;
        public readonly List<GlobSegment> Segments = new();

        private readonly List<GlobToken> _tokens = new();
        private readonly StringBuilder _literal = new();
        private bool _hasWildcard;

        public State(string pattern) => Pattern = pattern;

        public GlobParseError? Run()
        {
            string p = Pattern;
            if (p.Length == 0)
            {
                return new GlobParseError(GlobErrorCode.EmptyPattern, 0, 0, "the pattern is empty");
            }

            if (p.Length > MaxPatternLength)
            {
                return Error(GlobErrorCode.PatternTooLong, MaxPatternLength, p.Length - MaxPatternLength,
                    $"the pattern is {p.Length} characters long; at most {MaxPatternLength} are allowed");
            }

            for (int i = 0; i < p.Length; i++)
            {
                if (char.IsHighSurrogate(p[i]) && i + 1 < p.Length && char.IsLowSurrogate(p[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(p[i]))
                {
                    return Error(GlobErrorCode.LoneSurrogate, i, 1,
                        $"lone UTF-16 surrogate U+{(int)p[i]:X4} at {i}: a pattern must be valid Unicode text");
                }
            }

            int segmentStart = 0;
            int index = 0;
            while (true)
            {
                if (index == p.Length || p[index] == '/')
                {
                    FinishSegment(segmentStart, index);
                    if (index == p.Length)
                    {
                        return null;
                    }

                    index++;
                    segmentStart = index;
                    continue;
                }

                if (p[index] == '\\' && index + 1 < p.Length && p[index + 1] == '/')
                {
                    // An escaped '/' is still the separator byte: keys are split on it whatever the pattern says.
                    FinishSegment(segmentStart, index);
                    index += 2;
                    segmentStart = index;
                    continue;
                }

                if (p[index] == '*' && index + 1 < p.Length && p[index + 1] == '*')
                {
                    int runEnd = index;
                    while (runEnd < p.Length && p[runEnd] == '*')
                    {
                        runEnd++;
                    }

                    // The segment ends at the pattern's end, at '/', or at the escaped separator '\/'.
                    int separatorLength = runEnd == p.Length ? 0
                        : p[runEnd] == '/' ? 1
                        : p[runEnd] == '\\' && runEnd + 1 < p.Length && p[runEnd + 1] == '/' ? 2
                        : -1;
                    bool wholeSegment = index == segmentStart && runEnd - index == 2 && separatorLength >= 0;
                    if (!wholeSegment)
                    {
                        return DoubleStarError(index, runEnd - index);
                    }

                    Segments.Add(new GlobSegment(GlobSegmentKind.DoubleStar, "**", index, string.Empty, new GlobToken[0]));
                    index = runEnd;
                    if (index == p.Length)
                    {
                        return null;
                    }

                    index += separatorLength;
                    segmentStart = index;
                    continue;
                }

                GlobParseError? error = ParseElement(ref index, _tokens, _literal, inBrace: false);
                if (error is not null)
                {
                    return error;
                }
            }
        }

        private void FinishSegment(int start, int end)
        {
            string source = Pattern.Substring(start, end - start);
            if (!_hasWildcard)
            {
                Segments.Add(new GlobSegment(GlobSegmentKind.Literal, source, start, _literal.ToString(), new GlobToken[0]));
            }
            else
            {
                FlushLiteral(_tokens, _literal);
                Segments.Add(new GlobSegment(GlobSegmentKind.Wildcard, source, start, string.Empty, _tokens.ToArray()));
            }

            _tokens.Clear();
            _literal.Clear();
            _hasWildcard = false;
        }

        private static void FlushLiteral(List<GlobToken> tokens, StringBuilder literal)
        {
            if (literal.Length > 0)
            {
                tokens.Add(GlobToken.Literal(literal.ToString()));
                literal.Clear();
            }
        }

        /// <summary>Parses one element at <paramref name="index"/> (not a separator, not <c>**</c> at top level).</summary>
        private GlobParseError? ParseElement(ref int index, List<GlobToken> tokens, StringBuilder literal, bool inBrace)
        {
            string p = Pattern;
            char c = p[index];
            switch (c)
            {
                case '\\':
                    if (index + 1 == p.Length)
                    {
                        return Error(GlobErrorCode.TrailingBackslash, index, 1,
                            $"lone '\\' at the end of the pattern (position {index}); write '\\\\' for a literal backslash");
                    }

                    if (p[index + 1] == '/')
                    {
                        return Error(GlobErrorCode.SlashInBrace, index, 2,
                            $"'/' at {index + 1} inside braces: alternatives cannot span segments");
                    }

                    index++;
                    AppendCodePoint(ref index, literal);
                    return null;

                case '*':
                    if (index + 1 < p.Length && p[index + 1] == '*')
                    {
                        int runEnd = index;
                        while (runEnd < p.Length && p[runEnd] == '*')
                        {
                            runEnd++;
                        }

                        return DoubleStarError(index, runEnd - index);
                    }

                    FlushLiteral(tokens, literal);
                    tokens.Add(GlobToken.Star);
                    MarkWildcard(inBrace);
                    index++;
                    return null;

                case '?':
                    FlushLiteral(tokens, literal);
                    tokens.Add(GlobToken.AnyChar);
                    MarkWildcard(inBrace);
                    index++;
                    return null;

                case '[':
                {
                    GlobParseError? error = ParseClass(ref index, out GlobToken? token);
                    if (error is not null)
                    {
                        return error;
                    }

                    FlushLiteral(tokens, literal);
                    tokens.Add(token!);
                    MarkWildcard(inBrace);
                    return null;
                }

                case '{':
                {
                    if (inBrace)
                    {
                        return Error(GlobErrorCode.NestedBrace, index, 1, $"nested '{{' at {index}: braces cannot be nested");
                    }

                    GlobParseError? error = ParseBraces(ref index, out GlobToken? token);
                    if (error is not null)
                    {
                        return error;
                    }

                    FlushLiteral(tokens, literal);
                    tokens.Add(token!);
                    MarkWildcard(inBrace);
                    return null;
                }

                default:
                    AppendCodePoint(ref index, literal);
                    return null;
            }
        }

        private void MarkWildcard(bool inBrace)
        {
            if (!inBrace)
            {
                _hasWildcard = true;
            }
        }

        private GlobParseError? ParseBraces(ref int index, out GlobToken? token)
        {
            string p = Pattern;
            int open = index;
            var alternatives = new List<GlobToken[]>();
            var tokens = new List<GlobToken>();
            var literal = new StringBuilder();
            index++;
            while (true)
            {
                if (index == p.Length)
                {
                    token = null;
                    return Error(GlobErrorCode.UnclosedBrace, open, 1, $"unclosed '{{' at {open}");
                }

                char c = p[index];
                if (c == '}' || c == ',')
                {
                    FlushLiteral(tokens, literal);
                    alternatives.Add(tokens.ToArray());
                    tokens.Clear();
                    index++;
                    if (c == '}')
                    {
                        token = GlobToken.Alternation(alternatives.ToArray());
                        return null;
                    }

                    continue;
                }

                if (c == '/')
                {
                    token = null;
                    return Error(GlobErrorCode.SlashInBrace, index, 1, $"'/' at {index} inside braces: alternatives cannot span segments");
                }

                GlobParseError? error = ParseElement(ref index, tokens, literal, inBrace: true);
                if (error is not null)
                {
                    token = null;
                    return error;
                }
            }
        }

        private GlobParseError? ParseClass(ref int index, out GlobToken? token)
        {
            string p = Pattern;
            int open = index;
            int cursor = index + 1;
            bool negated = cursor < p.Length && p[cursor] == '!';
            if (negated)
            {
                cursor++;
            }

            int firstItem = cursor;
            var ranges = new List<GlobCharRange>();
            token = null;
            while (true)
            {
                if (cursor == p.Length)
                {
                    if (firstItem < p.Length && p[firstItem] == ']')
                    {
                        // "[]" or "[!]" with no later ']' to close it: read the ']' as the closer of an empty class.
                        return Error(GlobErrorCode.EmptyClass, open, firstItem - open + 1,
                            $"empty character class '{p.Substring(open, firstItem - open + 1)}' at {open}: a class must hold at least one character");
                    }

                    return Error(GlobErrorCode.UnclosedClass, open, 1, $"unclosed '[' at {open}");
                }

                if (p[cursor] == ']' && cursor != firstItem)
                {
                    index = cursor + 1;
                    token = GlobToken.CharClass(ranges.ToArray(), negated);
                    return null;
                }

                int itemStart = cursor;
                GlobParseError? error = ReadClassChar(ref cursor, out int low);
                if (error is not null)
                {
                    return error;
                }

                int high = low;
                if (cursor + 1 < p.Length && p[cursor] == '-' && p[cursor + 1] != ']')
                {
                    cursor++;
                    error = ReadClassChar(ref cursor, out high);
                    if (error is not null)
                    {
                        return error;
                    }

                    if (high < low)
                    {
                        string range = p.Substring(itemStart, cursor - itemStart);
                        return Error(GlobErrorCode.ReversedRange, itemStart, cursor - itemStart,
                            $"reversed range '{range}' at {itemStart}: the first character must not come after the last");
                    }
                }

                ranges.Add(new GlobCharRange(low, high));
            }
        }

        private GlobParseError? ReadClassChar(ref int cursor, out int scalar)
        {
            string p = Pattern;
            scalar = 0;
            int start = cursor;
            if (p[cursor] == '\\')
            {
                if (cursor + 1 == p.Length)
                {
                    return Error(GlobErrorCode.TrailingBackslash, cursor, 1,
                        $"lone '\\' at the end of the pattern (position {cursor}); write '\\\\' for a literal backslash");
                }

                cursor++;
            }

            if (p[cursor] == '/')
            {
                return Error(GlobErrorCode.SlashInClass, start, cursor - start + 1,
                    $"'/' at {cursor} inside a character class: a class matches one character within a segment, never '/'");
            }

            scalar = ReadCodePoint(ref cursor);
            return null;
        }

        private int ReadCodePoint(ref int index)
        {
            string p = Pattern;
            if (char.IsHighSurrogate(p[index]))
            {
                int value = char.ConvertToUtf32(p[index], p[index + 1]);
                index += 2;
                return value;
            }

            return p[index++];
        }

        private void AppendCodePoint(ref int index, StringBuilder literal)
        {
            int start = index;
            ReadCodePoint(ref index);
            literal.Append(Pattern, start, index - start);
        }

        private static GlobParseError DoubleStarError(int position, int length) =>
            Error(GlobErrorCode.DoubleStarNotWholeSegment, position, length,
                $"'{new string('*', length)}' at {position} must be a whole segment ('a/**/b', '**/x', 'a/**'); use '*' to match within a segment");

        private static GlobParseError Error(GlobErrorCode code, int position, int length, string message) =>
            new(code, position, length, message);
    }
}
