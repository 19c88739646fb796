using System;
using SochDb.Policy.Glob;

namespace SochDb.Policy;

/// <summary>
/// Checks a glob pattern against the grammar the attributes, the run-time registration API and the analyzers share
/// (<see href="https://github.com/sochdb/sochdb/blob/main/docs/semantics.md#glob-grammar">docs/semantics.md</see>),
/// for patterns that come from configuration or users, before anything is registered.
/// </summary>
public static class GlobPatterns
{
    /// <summary>
    /// Returns what is wrong with <paramref name="pattern"/> (position, length and reason), without throwing it, or
    /// <see langword="null"/> when the pattern is valid. Registering an invalid pattern throws the same exception.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="pattern"/> is null.</exception>
    public static GlobPatternException? Validate(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return GlobParser.Validate(pattern) is { } error ? new GlobPatternException(pattern, error, nameof(pattern)) : null;
    }
}
