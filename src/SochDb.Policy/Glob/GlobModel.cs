namespace SochDb.Policy.Glob;

/// <summary>What a pattern segment (the text between two <c>/</c>) is.</summary>
internal enum GlobSegmentKind
{
    /// <summary>Plain characters only: matched by an ordinal byte comparison.</summary>
    Literal,
    /// <summary>Holds <c>*</c>, <c>?</c>, <c>[..]</c> or <c>{..}</c>.</summary>
    Wildcard,
    /// <summary>The whole segment is <c>**</c>.</summary>
    DoubleStar,
}

/// <summary>One element of a wildcard segment.</summary>
internal enum GlobTokenKind
{
    /// <summary>Characters matched exactly (<see cref="GlobToken.Text"/>).</summary>
    Literal,
    /// <summary><c>*</c>: zero or more characters, never <c>/</c>.</summary>
    Star,
    /// <summary><c>?</c>: exactly one character, never <c>/</c>.</summary>
    AnyChar,
    /// <summary><c>[..]</c> or <c>[!..]</c>: one character from (or not from) <see cref="GlobToken.Ranges"/>.</summary>
    CharClass,
    /// <summary><c>{a,b}</c>: one of <see cref="GlobToken.Alternatives"/>.</summary>
    Alternation,
}

/// <summary>An inclusive range of Unicode scalar values inside a character class.</summary>
internal readonly struct GlobCharRange
{
    /// <summary>Creates a range.</summary>
    public GlobCharRange(int first, int last)
    {
        First = first;
        Last = last;
    }

    /// <summary>First scalar value (inclusive).</summary>
    public int First { get; }

    /// <summary>Last scalar value (inclusive).</summary>
    public int Last { get; }

    /// <summary>Whether <paramref name="scalar"/> lies in the range.</summary>
    public bool Contains(int scalar) => scalar >= First && scalar <= Last;
}

/// <summary>A token of a wildcard segment. Immutable.</summary>
internal sealed class GlobToken
{
    private static readonly GlobCharRange[] NoRanges = new GlobCharRange[0];
    private static readonly GlobToken[][] NoAlternatives = new GlobToken[0][];

    private GlobToken(GlobTokenKind kind, string text, GlobCharRange[] ranges, bool negated, GlobToken[][] alternatives)
    {
        Kind = kind;
        Text = text;
        Ranges = ranges;
        Negated = negated;
        Alternatives = alternatives;
    }

    /// <summary>The token's kind.</summary>
    public GlobTokenKind Kind { get; }

    /// <summary>For <see cref="GlobTokenKind.Literal"/>: the characters, escapes removed. Empty otherwise.</summary>
    public string Text { get; }

    /// <summary>For <see cref="GlobTokenKind.CharClass"/>: the ranges, in source order.</summary>
    public GlobCharRange[] Ranges { get; }

    /// <summary>For <see cref="GlobTokenKind.CharClass"/>: whether the class is negated (<c>[!..]</c>).</summary>
    public bool Negated { get; }

    /// <summary>For <see cref="GlobTokenKind.Alternation"/>: each alternative's tokens (an alternative may be empty).</summary>
    public GlobToken[][] Alternatives { get; }

    /// <summary>A literal run.</summary>
    public static GlobToken Literal(string text) => new(GlobTokenKind.Literal, text, NoRanges, false, NoAlternatives);

    /// <summary><c>*</c>.</summary>
    public static GlobToken Star { get; } = new(GlobTokenKind.Star, "", NoRanges, false, NoAlternatives);

    /// <summary><c>?</c>.</summary>
    public static GlobToken AnyChar { get; } = new(GlobTokenKind.AnyChar, "", NoRanges, false, NoAlternatives);

    /// <summary>A character class.</summary>
    public static GlobToken CharClass(GlobCharRange[] ranges, bool negated) => new(GlobTokenKind.CharClass, "", ranges, negated, NoAlternatives);

    /// <summary>A brace alternation.</summary>
    public static GlobToken Alternation(GlobToken[][] alternatives) => new(GlobTokenKind.Alternation, "", NoRanges, false, alternatives);

    /// <summary>Whether a class token admits <paramref name="scalar"/> (a Unicode scalar value, or -1 for a byte that is not valid UTF-8).</summary>
    public bool ClassMatches(int scalar)
    {
        if (scalar < 0)
        {
            // A byte that is not valid UTF-8 is no member of any set: only a negated class admits it.
            return Negated;
        }

        bool inSet = false;
        foreach (GlobCharRange range in Ranges)
        {
            if (range.Contains(scalar))
            {
                inSet = true;
                break;
            }
        }

        return inSet != Negated;
    }
}

/// <summary>A pattern segment: the text between two <c>/</c> separators.</summary>
internal sealed class GlobSegment
{
    /// <summary>Creates a segment.</summary>
    public GlobSegment(GlobSegmentKind kind, string source, int position, string literal, GlobToken[] tokens)
    {
        Kind = kind;
        Source = source;
        Position = position;
        Literal = literal;
        Tokens = tokens;
    }

    /// <summary>The segment's kind.</summary>
    public GlobSegmentKind Kind { get; }

    /// <summary>The segment as written in the pattern (escapes kept).</summary>
    public string Source { get; }

    /// <summary>Offset of the segment in the pattern text.</summary>
    public int Position { get; }

    /// <summary>For <see cref="GlobSegmentKind.Literal"/>: the exact text to compare (escapes removed).</summary>
    public string Literal { get; }

    /// <summary>For <see cref="GlobSegmentKind.Wildcard"/>: the tokens, adjacent literals merged.</summary>
    public GlobToken[] Tokens { get; }
}

/// <summary>A parsed, valid glob pattern (grammar: docs/semantics.md).</summary>
internal sealed class GlobPattern
{
    /// <summary>Creates a pattern model.</summary>
    public GlobPattern(string text, GlobSegment[] segments)
    {
        Text = text;
        Segments = segments;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>The segments, left to right; there is always at least one.</summary>
    public GlobSegment[] Segments { get; }

    /// <summary>The number of leading segments that are plain literals (the dispatch prefix).</summary>
    public int LiteralPrefixSegmentCount
    {
        get
        {
            int count = 0;
            while (count < Segments.Length && Segments[count].Kind == GlobSegmentKind.Literal)
            {
                count++;
            }

            return count;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
