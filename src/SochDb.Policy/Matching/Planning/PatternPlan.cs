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

    private PatternPlan(string[][] paths, SegmentTest[] remainder, bool trailingDoubleStar, bool needsPatternMatcher, AnchorEntry[]? anchor)
    {
        Paths = paths;
        Remainder = remainder;
        TrailingDoubleStar = trailingDoubleStar;
        NeedsPatternMatcher = needsPatternMatcher;
        Anchor = anchor;
    }

    /// <summary>
    /// The literal segments walked in the trie before the rest of the pattern is tested: one path, or one per
    /// combination of literal brace alternatives (<c>{a,b}17/*</c> is filed under <c>a17</c> and <c>b17</c>); a
    /// pattern starting with a wildcard has one empty path (the root).
    /// </summary>
    public string[][] Paths { get; }

    /// <summary>The tests of the segments after the path (not counting a trailing <c>**</c>).</summary>
    public SegmentTest[] Remainder { get; }

    /// <summary>Whether the pattern ends in <c>/**</c>: the key must go on below the matched segments.</summary>
    public bool TrailingDoubleStar { get; }

    /// <summary>
    /// Whether a <c>**</c> sits before the last segment (<c>**/x</c>, <c>a/**/b</c>): then the whole pattern is tested by
    /// <see cref="CompilerServices.GlobMatcher"/>, which backtracks over it, and <see cref="Remainder"/> is empty.
    /// </summary>
    public bool NeedsPatternMatcher { get; }

    /// <summary>The literals one of which a matching key holds at the anchor's place; null when there is none to go by.</summary>
    public AnchorEntry[]? Anchor { get; }

    /// <summary>The number of literal segments on each path.</summary>
    public int PathLength => Paths[0].Length;

    public static PatternPlan For(GlobPattern pattern)
    {
        GlobSegment[] segments = pattern.Segments;
        var paths = new List<string[]> { Array.Empty<string>() };
        int prefix = 0;
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

        var rest = new GlobSegment[segments.Length - prefix];
        Array.Copy(segments, prefix, rest, 0, rest.Length);
        AnchorEntry[]? anchor = rest.Length == 0 ? null : AnchorChooser.Choose(rest);

        int end = segments.Length;
        bool trailing = end > prefix && segments[end - 1].Kind == GlobSegmentKind.DoubleStar;
        if (trailing)
        {
            end--;
        }

        var tests = new List<SegmentTest>();
        for (int i = prefix; i < end; i++)
        {
            if (segments[i].Kind == GlobSegmentKind.DoubleStar)
            {
                return new PatternPlan(paths.ToArray(), Array.Empty<SegmentTest>(), false, true, anchor);
            }

            tests.Add(SegmentTest.For(segments[i]));
        }

        return new PatternPlan(paths.ToArray(), tests.ToArray(), trailing, false, anchor);
    }
}
