using System;
using System.Collections.Generic;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Matching.Planning;

/// <summary>
/// How one pattern is found and tested, decided once for both the generated dispatch and the run-time table:
/// the literal path (or paths) it is filed under in the segment trie, the test of the segments after that path, and,
/// when the segments after the path have a literal to go by, the anchor that finds the rule without testing it on
/// every key.
/// </summary>
internal sealed class PatternPlan
{
    /// <summary>The most literal paths one pattern is filed under (brace alternatives multiply them).</summary>
    internal const int MaxPaths = 8;

    private PatternPlan(string[][] paths, PatternTail tail)
    {
        Paths = paths;
        Tail = tail;
    }

    /// <summary>
    /// The literal segments walked in the trie before the rest of the pattern is tested: one path, or one per
    /// combination of literal brace alternatives (<c>{a,b}17/*</c> is filed under <c>a17</c> and <c>b17</c>); a
    /// pattern starting with a wildcard has one empty path (the root).
    /// </summary>
    public string[][] Paths { get; }

    /// <summary>How the segments after the path are tested and anchored (shared by patterns whose rest is spelled alike).</summary>
    public PatternTail Tail { get; }

    /// <summary>The tests of the segments after the path (not counting a trailing <c>**</c>).</summary>
    public SegmentTest[] Remainder => Tail.Remainder;

    /// <summary>Whether the pattern ends in <c>/**</c>: the key must go on below the matched segments.</summary>
    public bool TrailingDoubleStar => Tail.TrailingDoubleStar;

    /// <summary>
    /// Whether a <c>**</c> sits before the last segment (<c>**/x</c>, <c>a/**/b</c>): then the whole pattern is tested by
    /// <see cref="GlobMatcher"/>, which backtracks over it, and <see cref="Remainder"/> is empty.
    /// </summary>
    public bool NeedsPatternMatcher => Tail.NeedsPatternMatcher;

    /// <summary>The literals one of which a matching key holds at the anchor's place; null when there is none to go by.</summary>
    public AnchorEntry[]? Anchor => Tail.Anchor;

    /// <summary>The number of literal segments on each path.</summary>
    public int PathLength => Paths[0].Length;

    public static PatternPlan For(GlobPattern pattern) => For(pattern, null);

    /// <summary>
    /// Plans <paramref name="pattern"/>. With <paramref name="tails"/>, the part of the plan that depends only on the
    /// segments after the literal path (their tests and anchor) is planned once per spelling of those segments and shared:
    /// a reload of many rules plans <c>*/email</c> or <c>*.json</c> once, whatever literal path each rule has.
    /// </summary>
    public static PatternPlan For(GlobPattern pattern, Dictionary<string, PatternTail>? tails)
    {
        GlobSegment[] segments = pattern.Segments;

        // The leading literal segments (most patterns' whole path) make one path, built once.
        int prefix = 0;
        while (prefix < segments.Length && segments[prefix].Kind == GlobSegmentKind.Literal)
        {
            prefix++;
        }

        var literalPath = new string[prefix];
        for (int i = 0; i < prefix; i++)
        {
            literalPath[i] = segments[i].Literal;
        }

        var paths = new List<string[]>(1) { literalPath };
        while (prefix < segments.Length)
        {
            List<string>? literals = GlobExpansion.LiteralAlternatives(segments[prefix], SegmentTest.MaxAlternatives);
            if (literals is null || paths.Count * literals.Count > MaxPaths)
            {
                break;
            }

            var longer = new List<string[]>();
            foreach (string[] path in paths)
            {
                foreach (string literal in literals)
                {
                    var next = new string[path.Length + 1];
                    path.CopyTo(next, 0);
                    next[path.Length] = literal;
                    longer.Add(next);
                }
            }

            paths = longer;
            prefix++;
        }

        if (tails is null)
        {
            return new PatternPlan(paths.ToArray(), PatternTail.For(segments, prefix));
        }

        string spelling = PatternTail.Spelling(segments, prefix);
        if (!tails.TryGetValue(spelling, out PatternTail? tail))
        {
            tail = PatternTail.For(segments, prefix);
            tails.Add(spelling, tail);
        }

        return new PatternPlan(paths.ToArray(), tail);
    }
}

/// <summary>The part of a plan after the literal path: the segments' tests, a trailing <c>**</c>, and the anchor.</summary>
internal sealed class PatternTail
{
    private PatternTail(SegmentTest[] remainder, bool trailingDoubleStar, bool needsPatternMatcher, AnchorEntry[]? anchor)
    {
        Remainder = remainder;
        TrailingDoubleStar = trailingDoubleStar;
        NeedsPatternMatcher = needsPatternMatcher;
        Anchor = anchor;
    }

    /// <inheritdoc cref="PatternPlan.Remainder"/>
    public SegmentTest[] Remainder { get; }

    /// <inheritdoc cref="PatternPlan.TrailingDoubleStar"/>
    public bool TrailingDoubleStar { get; }

    /// <inheritdoc cref="PatternPlan.NeedsPatternMatcher"/>
    public bool NeedsPatternMatcher { get; }

    /// <inheritdoc cref="PatternPlan.Anchor"/>
    public AnchorEntry[]? Anchor { get; }

    /// <summary>The segments from <paramref name="first"/> on as written: equal spellings plan alike.</summary>
    public static string Spelling(GlobSegment[] segments, int first)
    {
        var text = new System.Text.StringBuilder();
        for (int i = first; i < segments.Length; i++)
        {
            string source = segments[i].Source;
            // Length-prefixed, so no two lists of segments spell alike (a segment may contain ':' or look like a list).
            text.Append(source.Length).Append(':').Append(source);
        }

        return text.ToString();
    }

    /// <summary>Plans the segments of <paramref name="segments"/> from <paramref name="first"/> on.</summary>
    public static PatternTail For(GlobSegment[] segments, int first)
    {
        var rest = new GlobSegment[segments.Length - first];
        Array.Copy(segments, first, rest, 0, rest.Length);
        AnchorEntry[]? anchor = rest.Length == 0 ? null : AnchorChooser.Choose(rest);

        int end = segments.Length;
        bool trailing = end > first && segments[end - 1].Kind == GlobSegmentKind.DoubleStar;
        if (trailing)
        {
            end--;
        }

        var tests = new List<SegmentTest>();
        for (int i = first; i < end; i++)
        {
            if (segments[i].Kind == GlobSegmentKind.DoubleStar)
            {
                return new PatternTail(Array.Empty<SegmentTest>(), false, true, anchor);
            }

            tests.Add(SegmentTest.For(segments[i]));
        }

        return new PatternTail(tests.ToArray(), trailing, false, anchor);
    }
}
