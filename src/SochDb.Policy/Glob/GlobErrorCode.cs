namespace SochDb.Policy.Glob;

/// <summary>Why a glob pattern was rejected (grammar: docs/semantics.md). Values are stable: analyzers and tests rely on them.</summary>
internal enum GlobErrorCode
{
    /// <summary>The pattern is empty.</summary>
    EmptyPattern = 1,
    /// <summary>The pattern is longer than <see cref="GlobParser.MaxPatternLength"/> characters.</summary>
    PatternTooLong = 2,
    /// <summary><c>**</c> shares a segment with other characters (<c>a**</c>, <c>**.json</c>) or stands inside braces.</summary>
    DoubleStarNotWholeSegment = 3,
    /// <summary>A <c>[</c> has no closing <c>]</c>.</summary>
    UnclosedClass = 4,
    /// <summary>A character class holds no character (<c>[]</c>, <c>[!]</c>).</summary>
    EmptyClass = 5,
    /// <summary>A range in a class runs backwards (<c>[z-a]</c>).</summary>
    ReversedRange = 6,
    /// <summary>A <c>/</c> stands inside a character class.</summary>
    SlashInClass = 7,
    /// <summary>A <c>{</c> has no closing <c>}</c>.</summary>
    UnclosedBrace = 8,
    /// <summary>A <c>/</c> stands inside braces.</summary>
    SlashInBrace = 9,
    /// <summary>A <c>{</c> stands inside another pair of braces.</summary>
    NestedBrace = 10,
    /// <summary>The pattern ends with a lone <c>\</c>.</summary>
    TrailingBackslash = 11,
    /// <summary>The pattern holds a UTF-16 surrogate that is not part of a pair.</summary>
    LoneSurrogate = 12,
}
