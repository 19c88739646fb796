using System;
using System.ComponentModel;
using SochDb.Policy.Glob;

using SochDb.Policy.Matching;

namespace SochDb.Policy.CompilerServices;

/// <summary>
/// Matches one key segment (the bytes between two <c>/</c>) against one segment of a glob pattern, with the
/// same rules as <see cref="GlobMatcher"/>. Generated dispatch code creates these once, in static fields, for
/// segment shapes it does not inline (character classes, <c>?</c>, wildcards inside braces). Thread-safe and
/// allocation-free when matching. Public only for generated code; not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GlobSegmentMatcher
{
    private readonly SegmentProgram _program;

    private GlobSegmentMatcher(string pattern, SegmentProgram program)
    {
        Pattern = pattern;
        _program = program;
    }

    /// <summary>The segment pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Parses and compiles a single-segment pattern such as <c>[a-z]*</c> or <c>{a?,b*}.json</c>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="segmentPattern"/> is null.</exception>
    /// <exception cref="GlobPatternException">The text is not a valid glob pattern.</exception>
    /// <exception cref="ArgumentException">The pattern holds more than one segment, or is <c>**</c>.</exception>
    public static GlobSegmentMatcher Compile(string segmentPattern)
    {
        ArgumentNullException.ThrowIfNull(segmentPattern);
        if (!GlobParser.TryParse(segmentPattern, out GlobPattern? parsed, out GlobParseError? error))
        {
            throw new GlobPatternException(segmentPattern, error!, nameof(segmentPattern));
        }

        GlobSegment[] segments = parsed!.Segments;
        if (segments.Length != 1 || segments[0].Kind == GlobSegmentKind.DoubleStar)
        {
            throw new ArgumentException(
                $"\"{segmentPattern}\" is not a single segment pattern: it must hold no '/' and must not be '**'.",
                nameof(segmentPattern));
        }

        GlobSegment segment = segments[0];
        GlobToken[] tokens = segment.Kind == GlobSegmentKind.Literal
            ? new[] { GlobToken.Literal(segment.Literal) }
            : segment.Tokens;
        return new GlobSegmentMatcher(segmentPattern, SegmentProgram.Compile(tokens));
    }

    /// <summary>Whether <paramref name="segment"/> matches. A span holding <c>/</c> is not a segment and never matches.</summary>
    public bool IsMatch(ReadOnlySpan<byte> segment) =>
        segment.IndexOf((byte)'/') < 0 && _program.IsMatch(segment);

    /// <inheritdoc />
    public override string ToString() => Pattern;
}
