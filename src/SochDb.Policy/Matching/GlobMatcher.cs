using System;
using System.ComponentModel;
using System.Text;
using SochDb.Policy.Glob;

using SochDb.Policy.Matching;

namespace SochDb.Policy.CompilerServices;

/// <summary>
/// Matches keys (raw bytes, ordinal, no normalization of any kind) against one glob pattern. This is the
/// run-time path and the oracle the generated dispatch is tested against. Thread-safe and allocation-free.
/// Public only because generated dispatch code creates matchers for patterns it does not inline; not meant to be
/// called by hand (a rule's pattern is given to an attribute or a registration method instead).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GlobMatcher
{
    private readonly Unit[] _units;

    private GlobMatcher(GlobPattern pattern, Unit[] units)
    {
        Pattern = pattern;
        _units = units;
    }

    /// <summary>The parsed pattern.</summary>
    internal GlobPattern Pattern { get; }

    /// <summary>Parses and compiles <paramref name="pattern"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="pattern"/> is null.</exception>
    /// <exception cref="GlobPatternException">The pattern is not valid; the exception says where and why.</exception>
    public static GlobMatcher Compile(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (!GlobParser.TryParse(pattern, out GlobPattern? parsed, out GlobParseError? error))
        {
            throw new GlobPatternException(pattern, error!, nameof(pattern));
        }

        return Compile(parsed!);
    }

    /// <summary>Compiles an already parsed pattern.</summary>
    internal static GlobMatcher Compile(GlobPattern pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        GlobSegment[] segments = pattern.Segments;
        bool trailingDoubleStar = segments[^1].Kind == GlobSegmentKind.DoubleStar;
        var units = new Unit[segments.Length + (trailingDoubleStar ? 1 : 0)];
        int u = 0;
        for (int i = 0; i < segments.Length; i++)
        {
            GlobSegment segment = segments[i];
            if (segment.Kind == GlobSegmentKind.DoubleStar && i == segments.Length - 1)
            {
                // A trailing '**' matches one or more segments: everything below the prefix, never the prefix itself.
                units[u++] = Unit.AnySegment;
                units[u++] = Unit.Segments;
                continue;
            }

            units[u++] = segment.Kind switch
            {
                GlobSegmentKind.DoubleStar => Unit.Segments,
                GlobSegmentKind.Literal => Unit.ForLiteral(Encoding.UTF8.GetBytes(segment.Literal)),
                _ => Unit.ForWildcard(segment.Tokens),
            };
        }

        return new GlobMatcher(pattern, units);
    }

    /// <summary>Whether the pattern matches the UTF-8 encoding of <paramref name="key"/>.</summary>
    public bool IsMatch(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return IsMatch(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>Whether the pattern matches <paramref name="key"/> byte for byte.</summary>
    public bool IsMatch(ReadOnlySpan<byte> key)
    {
        // Greedy match of pattern units against key segments, backtracking only to the most recent '**'.
        // Every other unit consumes exactly one segment, so this is correct and O(units x segments).
        Unit[] units = _units;
        int p = 0;
        int k = 0;
        int starUnit = -1;
        int starKey = 0;
        while (k <= key.Length)
        {
            if (p < units.Length && units[p].Kind == UnitKind.Segments)
            {
                starUnit = p++;
                starKey = k;
                continue;
            }

            int end = SegmentEnd(key, k);
            if (p < units.Length && units[p].Matches(key.Slice(k, end - k)))
            {
                p++;
                k = end + 1;
                continue;
            }

            if (starUnit < 0)
            {
                return false;
            }

            starKey = SegmentEnd(key, starKey) + 1;
            k = starKey;
            p = starUnit + 1;
        }

        while (p < units.Length && units[p].Kind == UnitKind.Segments)
        {
            p++;
        }

        return p == units.Length;
    }

    private static int SegmentEnd(ReadOnlySpan<byte> key, int start)
    {
        int slash = key.Slice(start).IndexOf((byte)'/');
        return slash < 0 ? key.Length : start + slash;
    }

    private enum UnitKind : byte
    {
        Literal,
        AnySegment,
        Wildcard,
        Segments,
    }

    private sealed class Unit
    {
        public static readonly Unit AnySegment = new(UnitKind.AnySegment, Array.Empty<byte>(), null);
        public static readonly Unit Segments = new(UnitKind.Segments, Array.Empty<byte>(), null);

        private readonly byte[] _literal;
        private readonly SegmentProgram? _program;

        private Unit(UnitKind kind, byte[] literal, SegmentProgram? program)
        {
            Kind = kind;
            _literal = literal;
            _program = program;
        }

        public UnitKind Kind { get; }

        public static Unit ForLiteral(byte[] literal) => new(UnitKind.Literal, literal, null);

        public static Unit ForWildcard(GlobToken[] tokens) =>
            tokens.Length == 1 && tokens[0].Kind == GlobTokenKind.Star
                ? AnySegment
                : new Unit(UnitKind.Wildcard, Array.Empty<byte>(), SegmentProgram.Compile(tokens));

        public bool Matches(ReadOnlySpan<byte> segment) => Kind switch
        {
            UnitKind.Literal => segment.SequenceEqual(_literal),
            UnitKind.AnySegment => true,
            UnitKind.Wildcard => _program!.IsMatch(segment),
            _ => false,
        };
    }
}
