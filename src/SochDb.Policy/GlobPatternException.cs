using System;
using SochDb.Policy.Glob;

namespace SochDb.Policy;

/// <summary>
/// A glob pattern given to the run-time API is not valid. The message names the pattern, the offending position and
/// the reason; the grammar is described in <see href="https://github.com/sochdb/sochdb/blob/main/docs/semantics.md">docs/semantics.md</see>.
/// </summary>
public sealed class GlobPatternException : ArgumentException
{
    /// <summary>Creates the exception from a parse error.</summary>
    internal GlobPatternException(string pattern, GlobParseError error, string? paramName = null)
        : base($"Invalid glob pattern \"{pattern}\": {error.Message}.", paramName)
    {
        Pattern = pattern;
        Code = error.Code;
        Position = error.Position;
        Length = error.Length;
        Reason = error.Message;
    }

    /// <summary>The same error, its message prefixed with where the pattern came from (a rule of a group).</summary>
    internal GlobPatternException(GlobPatternException error, string where)
        : base(where + error.Message, error.ParamName, error)
    {
        Pattern = error.Pattern;
        Code = error.Code;
        Position = error.Position;
        Length = error.Length;
        Reason = error.Reason;
    }

    /// <summary>The rejected pattern.</summary>
    public string Pattern { get; }

    /// <summary>Machine-readable reason (tests and the analyzers rely on the codes; users read <see cref="Reason"/>).</summary>
    internal GlobErrorCode Code { get; }

    /// <summary>Offset (UTF-16 code units) of the first offending character.</summary>
    public int Position { get; }

    /// <summary>Number of offending UTF-16 code units.</summary>
    public int Length { get; }

    /// <summary>The reason alone, without the pattern.</summary>
    public string Reason { get; }
}
