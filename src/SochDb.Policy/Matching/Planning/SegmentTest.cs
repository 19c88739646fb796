using System.Collections.Generic;
using System.Text;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Matching.Planning;

/// <summary>How a key segment is tested.</summary>
internal enum SegmentTestKind
{
    /// <summary><c>*</c>: any segment.</summary>
    Any,
    /// <summary>Span comparisons: one or more <see cref="SegmentShape"/> alternatives.</summary>
    Shapes,
    /// <summary>The segment automaton (<c>?</c>, classes, several stars): <see cref="SegmentTest.Tokens"/>.</summary>
    Program,
}

/// <summary>
/// A segment shape matched by span comparisons: exactly <see cref="Prefix"/> (no star), or <see cref="Prefix"/>,
/// then anything, then <see cref="Suffix"/> (with a star). Byte-wise comparison is exact here: UTF-8 never starts a
/// character with a continuation byte, so a literal's bytes always align with character boundaries.
/// </summary>
internal sealed record SegmentShape(string Prefix, bool HasStar, string Suffix);

/// <summary>The test of one pattern segment, chosen once for both the generated code and the run-time table.</summary>
internal sealed class SegmentTest
{
    /// <summary>More brace alternatives than this are matched by the automaton rather than spelled out.</summary>
    internal const int MaxAlternatives = 8;

    private SegmentTest(SegmentTestKind kind, string source, SegmentShape[] shapes, GlobToken[] tokens)
    {
        Kind = kind;
        Source = source;
        Shapes = shapes;
        Tokens = tokens;
    }

    public SegmentTestKind Kind { get; }

    /// <summary>The segment as written in the pattern.</summary>
    public string Source { get; }

    /// <summary>For <see cref="SegmentTestKind.Shapes"/>: the alternatives, any of which matches.</summary>
    public SegmentShape[] Shapes { get; }

    /// <summary>For <see cref="SegmentTestKind.Program"/>: the tokens the automaton is compiled from.</summary>
    public GlobToken[] Tokens { get; }

    public static SegmentTest For(GlobSegment segment)
    {
        if (segment.Kind == GlobSegmentKind.Literal)
        {
            return new SegmentTest(SegmentTestKind.Shapes, segment.Source, new[] { new SegmentShape(segment.Literal, false, "") }, new GlobToken[0]);
        }

        SegmentShape[]? shapes = TryShapes(segment.Tokens);
        if (shapes is null)
        {
            return new SegmentTest(SegmentTestKind.Program, segment.Source, new SegmentShape[0], segment.Tokens);
        }

        foreach (SegmentShape shape in shapes)
        {
            if (shape.HasStar && shape.Prefix.Length == 0 && shape.Suffix.Length == 0)
            {
                return new SegmentTest(SegmentTestKind.Any, segment.Source, new SegmentShape[0], new GlobToken[0]);
            }
        }

        return new SegmentTest(SegmentTestKind.Shapes, segment.Source, shapes, new GlobToken[0]);
    }

    /// <summary>
    /// Expands braces and reduces each alternative to literal / prefix*suffix; null when some alternative holds
    /// <c>?</c>, a class, or two stars apart (those need the automaton).
    /// </summary>
    private static SegmentShape[]? TryShapes(GlobToken[] tokens)
    {
        List<List<GlobToken>>? sequences = GlobExpansion.Expand(tokens, MaxAlternatives);
        if (sequences is null)
        {
            return null;
        }

        var shapes = new List<SegmentShape>();
        foreach (List<GlobToken> sequence in sequences)
        {
            SegmentShape? shape = ToShape(sequence);
            if (shape is null)
            {
                return null;
            }

            if (!shapes.Contains(shape))
            {
                shapes.Add(shape);
            }
        }

        return shapes.ToArray();
    }

    private static SegmentShape? ToShape(List<GlobToken> sequence)
    {
        var prefix = new StringBuilder();
        var suffix = new StringBuilder();
        bool star = false;
        bool literalAfterStar = false;
        foreach (GlobToken token in sequence)
        {
            switch (token.Kind)
            {
                case GlobTokenKind.Literal:
                    (star ? suffix : prefix).Append(token.Text);
                    literalAfterStar |= star;
                    break;
                case GlobTokenKind.Star:
                    if (literalAfterStar)
                    {
                        return null; // a second star after a literal: 'a*b*c' needs a search, not a span comparison
                    }

                    star = true; // adjacent stars are one star
                    break;
                default:
                    return null;
            }
        }

        return new SegmentShape(prefix.ToString(), star, suffix.ToString());
    }
}

/// <summary>Brace expansion of one segment's tokens.</summary>
internal static class GlobExpansion
{
    /// <summary>Every alternative spelled out as a token sequence (braces removed); null beyond <paramref name="max"/> sequences.</summary>
    public static List<List<GlobToken>>? Expand(GlobToken[] tokens, int max)
    {
        var sequences = new List<List<GlobToken>> { new() };
        foreach (GlobToken token in tokens)
        {
            GlobToken[][]? alternatives = token.Kind == GlobTokenKind.Alternation ? token.Alternatives : SmallClass(token, max);
            if (alternatives is null)
            {
                foreach (List<GlobToken> sequence in sequences)
                {
                    sequence.Add(token);
                }

                continue;
            }

            var expanded = new List<List<GlobToken>>();
            foreach (List<GlobToken> sequence in sequences)
            {
                foreach (GlobToken[] alternative in alternatives)
                {
                    var copy = new List<GlobToken>(sequence);
                    copy.AddRange(alternative);
                    expanded.Add(copy);
                }
            }

            if (expanded.Count > max)
            {
                return null;
            }

            sequences = expanded;
        }

        return sequences;
    }

    /// <summary>
    /// A positive class of at most <paramref name="max"/> characters as one literal alternative per character
    /// (<c>[a-c]</c> is <c>{a,b,c}</c>: exactly the same keys), so small classes get literal paths and anchors too.
    /// </summary>
    private static GlobToken[][]? SmallClass(GlobToken token, int max)
    {
        if (token.Kind != GlobTokenKind.CharClass || token.Negated)
        {
            return null;
        }

        long size = 0;
        foreach (GlobCharRange range in token.Ranges)
        {
            size += range.Last - range.First + 1;
        }

        if (size > max)
        {
            return null;
        }

        var characters = new List<GlobToken[]>();
        var seen = new HashSet<int>();
        foreach (GlobCharRange range in token.Ranges)
        {
            for (int scalar = range.First; scalar <= range.Last; scalar++)
            {
                if (seen.Add(scalar))
                {
                    characters.Add(new[] { GlobToken.Literal(char.ConvertFromUtf32(scalar)) });
                }
            }
        }

        return characters.ToArray();
    }

    /// <summary>The distinct texts of a segment whose every alternative is plain literal (<c>{a,b}17</c>); null otherwise.</summary>
    public static List<string>? LiteralAlternatives(GlobSegment segment, int max)
    {
        if (segment.Kind == GlobSegmentKind.Literal)
        {
            return new List<string> { segment.Literal };
        }

        if (segment.Kind != GlobSegmentKind.Wildcard)
        {
            return null;
        }

        // A '*' or '?' stays in every alternative, so no alternative is literal: answered without expanding.
        foreach (GlobToken token in segment.Tokens)
        {
            if (token.Kind is GlobTokenKind.Star or GlobTokenKind.AnyChar)
            {
                return null;
            }
        }

        List<List<GlobToken>>? sequences = Expand(segment.Tokens, max);
        if (sequences is null)
        {
            return null;
        }

        var texts = new List<string>();
        foreach (List<GlobToken> sequence in sequences)
        {
            var text = new StringBuilder();
            foreach (GlobToken token in sequence)
            {
                if (token.Kind != GlobTokenKind.Literal)
                {
                    return null;
                }

                text.Append(token.Text);
            }

            if (!texts.Contains(text.ToString()))
            {
                texts.Add(text.ToString());
            }
        }

        return texts;
    }
}
