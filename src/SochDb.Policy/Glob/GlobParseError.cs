namespace SochDb.Policy.Glob;

/// <summary>A rejected glob pattern: what is wrong and where (UTF-16 offsets into the pattern text).</summary>
internal sealed class GlobParseError
{
    /// <summary>Creates an error.</summary>
    public GlobParseError(GlobErrorCode code, int position, int length, string message)
    {
        Code = code;
        Position = position;
        Length = length;
        Message = message;
    }

    /// <summary>Machine-readable reason.</summary>
    public GlobErrorCode Code { get; }

    /// <summary>Offset (in UTF-16 code units) of the first offending character.</summary>
    public int Position { get; }

    /// <summary>Number of offending UTF-16 code units (at least 1, except for an empty pattern).</summary>
    public int Length { get; }

    /// <summary>A sentence a person understands, such as <c>unclosed '[' at 7</c>.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => Message;
}
