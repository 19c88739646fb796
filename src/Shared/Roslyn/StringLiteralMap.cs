using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace SochDb.Policy.Roslyn;

/// <summary>
/// Maps offsets in a string literal's value (UTF-16 code units, as <c>GlobParseError</c> reports them) to the
/// source text that produced them, so a squiggle covers exactly the offending characters as written: escapes
/// (<c>\\</c>, <c>\"</c>, <c>\u0041</c>), verbatim <c>""</c> and multi-line raw literals with their indentation
/// removed all make value offsets differ from source offsets.
/// </summary>
internal sealed class StringLiteralMap
{
    private readonly int[] _starts;
    private readonly int[] _ends;

    private StringLiteralMap(int[] starts, int[] ends)
    {
        _starts = starts;
        _ends = ends;
    }

    /// <summary>Length of the literal's value.</summary>
    public int Length => _starts.Length;

    /// <summary>The source span (absolute positions) of value characters <c>[start, start + length)</c>; <paramref name="length"/> must be at least 1.</summary>
    public TextSpan Span(int start, int length) => TextSpan.FromBounds(_starts[start], _ends[start + length - 1]);

    /// <summary>
    /// Builds the map for a string literal token. Returns <see langword="false"/> for anything it does not
    /// understand (UTF-8 literals, malformed text), and whenever the value it rebuilds differs from the compiler's,
    /// so callers fall back to squiggling the whole literal rather than a wrong part of it.
    /// </summary>
    public static bool TryCreate(SyntaxToken token, out StringLiteralMap? map)
    {
        map = null;
        string text = token.Text;
        var value = new StringBuilder(text.Length);
        var starts = new List<int>(text.Length);
        var ends = new List<int>(text.Length);
        bool ok = token.Kind() switch
        {
            SyntaxKind.StringLiteralToken when text.StartsWith("@\"", System.StringComparison.Ordinal) => WalkVerbatim(text, value, starts, ends),
            SyntaxKind.StringLiteralToken when text.StartsWith("\"", System.StringComparison.Ordinal) => WalkRegular(text, value, starts, ends),
            SyntaxKind.SingleLineRawStringLiteralToken => WalkSingleLineRaw(text, value, starts, ends),
            SyntaxKind.MultiLineRawStringLiteralToken => WalkMultiLineRaw(text, value, starts, ends),
            _ => false,
        };

        if (!ok || value.ToString() != token.ValueText)
        {
            return false;
        }

        int offset = token.SpanStart;
        int[] startArray = new int[starts.Count];
        int[] endArray = new int[ends.Count];
        for (int i = 0; i < starts.Count; i++)
        {
            startArray[i] = starts[i] + offset;
            endArray[i] = ends[i] + offset;
        }

        map = new StringLiteralMap(startArray, endArray);
        return true;
    }

    private static bool WalkRegular(string text, StringBuilder value, List<int> starts, List<int> ends)
    {
        int end = text.Length - 1;
        if (end < 1 || text[end] != '"')
        {
            return false;
        }

        int i = 1;
        while (i < end)
        {
            if (text[i] != '\\')
            {
                Emit(value, starts, ends, text[i], i, i + 1);
                i++;
                continue;
            }

            if (i + 1 >= end)
            {
                return false;
            }

            char kind = text[i + 1];
            switch (kind)
            {
                case 'u':
                    if (!TryHex(text, i + 2, 4, 4, end, out int u, out int uLength))
                    {
                        return false;
                    }

                    Emit(value, starts, ends, (char)u, i, i + 2 + uLength);
                    i += 2 + uLength;
                    break;

                case 'U':
                    if (!TryHex(text, i + 2, 8, 8, end, out int scalar, out int bigLength) || scalar > 0x10FFFF)
                    {
                        return false;
                    }

                    foreach (char c in ScalarToUtf16(scalar))
                    {
                        Emit(value, starts, ends, c, i, i + 2 + bigLength);
                    }

                    i += 2 + bigLength;
                    break;

                case 'x':
                    if (!TryHex(text, i + 2, 1, 4, end, out int x, out int xLength))
                    {
                        return false;
                    }

                    Emit(value, starts, ends, (char)x, i, i + 2 + xLength);
                    i += 2 + xLength;
                    break;

                default:
                    char? simple = SimpleEscape(kind);
                    if (simple is null)
                    {
                        return false;
                    }

                    Emit(value, starts, ends, simple.Value, i, i + 2);
                    i += 2;
                    break;
            }
        }

        return true;
    }

    private static bool WalkVerbatim(string text, StringBuilder value, List<int> starts, List<int> ends)
    {
        int end = text.Length - 1;
        if (end < 2 || text[end] != '"')
        {
            return false;
        }

        int i = 2;
        while (i < end)
        {
            if (text[i] == '"')
            {
                if (i + 1 >= end || text[i + 1] != '"')
                {
                    return false;
                }

                Emit(value, starts, ends, '"', i, i + 2);
                i += 2;
                continue;
            }

            Emit(value, starts, ends, text[i], i, i + 1);
            i++;
        }

        return true;
    }

    private static bool WalkSingleLineRaw(string text, StringBuilder value, List<int> starts, List<int> ends)
    {
        int quotes = CountQuotes(text);
        if (quotes < 3 || text.Length < 2 * quotes)
        {
            return false;
        }

        for (int i = quotes; i < text.Length - quotes; i++)
        {
            Emit(value, starts, ends, text[i], i, i + 1);
        }

        return true;
    }

    private static bool WalkMultiLineRaw(string text, StringBuilder value, List<int> starts, List<int> ends)
    {
        int quotes = CountQuotes(text);
        if (quotes < 3 || text.Length < 2 * quotes)
        {
            return false;
        }

        int closing = text.Length - quotes;

        // The closing line's whitespace is the indentation every content line starts with.
        int closingLineStart = closing;
        while (closingLineStart > 0 && !IsNewLine(text[closingLineStart - 1]))
        {
            closingLineStart--;
        }

        string indentation = text.Substring(closingLineStart, closing - closingLineStart);
        if (!IsWhitespace(indentation))
        {
            return false;
        }

        // Content starts after the opening line's newline and ends before the closing line's newline.
        int contentStart = quotes;
        while (contentStart < closing && !IsNewLine(text[contentStart]))
        {
            contentStart++;
        }

        contentStart = SkipNewLine(text, contentStart);
        int contentEnd = closingLineStart - NewLineLengthBefore(text, closingLineStart);
        if (contentStart > contentEnd)
        {
            return false;
        }

        int i = contentStart;
        while (i <= contentEnd)
        {
            int lineEnd = i;
            while (lineEnd < contentEnd && !IsNewLine(text[lineEnd]))
            {
                lineEnd++;
            }

            string line = text.Substring(i, lineEnd - i);
            int first;
            if (line.StartsWith(indentation, System.StringComparison.Ordinal))
            {
                first = i + indentation.Length;
            }
            else if (IsWhitespace(line))
            {
                first = lineEnd;
            }
            else
            {
                return false;
            }

            for (int k = first; k < lineEnd; k++)
            {
                Emit(value, starts, ends, text[k], k, k + 1);
            }

            if (lineEnd >= contentEnd)
            {
                break;
            }

            int next = SkipNewLine(text, lineEnd);
            for (int k = lineEnd; k < next; k++)
            {
                Emit(value, starts, ends, text[k], k, k + 1);
            }

            i = next;
        }

        return true;
    }

    private static void Emit(StringBuilder value, List<int> starts, List<int> ends, char c, int start, int end)
    {
        value.Append(c);
        starts.Add(start);
        ends.Add(end);
    }

    private static int CountQuotes(string text)
    {
        int count = 0;
        while (count < text.Length && text[count] == '"')
        {
            count++;
        }

        return count;
    }

    private static bool IsNewLine(char c) => c is '\r' or '\n' or '\u0085' or '\u2028' or '\u2029';

    private static bool IsWhitespace(string s)
    {
        foreach (char c in s)
        {
            if (!char.IsWhiteSpace(c) || IsNewLine(c))
            {
                return false;
            }
        }

        return true;
    }

    private static int SkipNewLine(string text, int index)
    {
        if (index < text.Length && text[index] == '\r' && index + 1 < text.Length && text[index + 1] == '\n')
        {
            return index + 2;
        }

        return index < text.Length && IsNewLine(text[index]) ? index + 1 : index;
    }

    private static int NewLineLengthBefore(string text, int index)
    {
        if (index >= 2 && text[index - 2] == '\r' && text[index - 1] == '\n')
        {
            return 2;
        }

        return index >= 1 && IsNewLine(text[index - 1]) ? 1 : 0;
    }

    private static bool TryHex(string text, int start, int min, int max, int end, out int value, out int length)
    {
        value = 0;
        length = 0;
        while (length < max && start + length < end && HexValue(text[start + length]) is int digit)
        {
            value = value * 16 + digit;
            length++;
        }

        return length >= min;
    }

    private static int? HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => null,
    };

    private static char? SimpleEscape(char c) => c switch
    {
        '\'' => '\'',
        '"' => '"',
        '\\' => '\\',
        '0' => '\0',
        'a' => '\a',
        'b' => '\b',
        'e' => '\u001b',
        'f' => '\f',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\v',
        _ => null,
    };

    private static IEnumerable<char> ScalarToUtf16(int scalar)
    {
        if (scalar < 0x10000)
        {
            yield return (char)scalar;
            yield break;
        }

        scalar -= 0x10000;
        yield return (char)(0xD800 + (scalar >> 10));
        yield return (char)(0xDC00 + (scalar & 0x3FF));
    }
}
