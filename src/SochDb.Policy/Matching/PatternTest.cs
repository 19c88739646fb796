using System;
using SochDb.Policy.Matching.Planning;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Matching;

/// <summary>
/// The run-time test of a pattern at the trie node its literal path leads to: the segments after the path, one
/// <see cref="SegmentCheck"/> each (or the whole-pattern matcher for a <c>**</c> before the last segment). The same
/// test the generated <c>MatchesRule</c> methods spell out.
/// </summary>
internal sealed class PatternTest
{
    private readonly SegmentCheck[] _segments;
    private readonly bool _trailingDoubleStar;
    private readonly GlobMatcher? _whole;

    public PatternTest(PatternPlan plan, GlobMatcher matcher)
    {
        _trailingDoubleStar = plan.TrailingDoubleStar;
        _whole = plan.NeedsPatternMatcher ? matcher : null;
        _segments = new SegmentCheck[plan.Remainder.Length];
        for (int i = 0; i < _segments.Length; i++)
        {
            _segments[i] = SegmentCheck.For(plan.Remainder[i]);
        }
    }

    /// <summary>Whether <paramref name="key"/>, which starts with a node's path (none at the root), matches.</summary>
    /// <param name="key">The key.</param>
    /// <param name="pathLength">The length of the node's path; the key goes on with '/' after it, or ends there.</param>
    /// <param name="atRoot">Whether the node is the root (no path: the first segment starts at 0).</param>
    public bool IsMatch(ReadOnlySpan<byte> key, int pathLength, bool atRoot)
    {
        if (_whole is not null)
        {
            return _whole.IsMatch(key);
        }

        SegmentCheck[] segments = _segments;
        int start = 0;
        if (!atRoot)
        {
            if (key.Length == pathLength)
            {
                // The key is the path itself.
                return segments.Length == 0 && !_trailingDoubleStar;
            }

            start = pathLength + 1;
        }

        if (segments.Length == 0)
        {
            // Only a trailing '**' is left: below a path the key goes on (it does), and '**' alone matches every key.
            return _trailingDoubleStar;
        }

        int end = 0;
        for (int i = 0; i < segments.Length; i++)
        {
            int slash = key.Slice(start).IndexOf((byte)'/');
            end = slash < 0 ? key.Length : start + slash;
            if (!segments[i].IsMatch(key.Slice(start, end - start)))
            {
                return false;
            }

            if (i < segments.Length - 1)
            {
                if (end == key.Length)
                {
                    return false;
                }

                start = end + 1;
            }
        }

        return _trailingDoubleStar ? end < key.Length : end == key.Length;
    }
}
