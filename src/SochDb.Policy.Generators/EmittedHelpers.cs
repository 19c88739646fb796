namespace SochDb.Policy.Generators;

/// <summary>
/// The file-level helpers the emitted dispatch calls, recorded as each call is written: the file then declares exactly
/// those (a generated file carries no dead helper) without searching the text it wrote. Helpers the planner already
/// knows a plan needs (<c>SegmentAt</c>, <c>SegmentFromEnd</c>, <c>PartNumber</c>) are flags of the plan instead.
/// </summary>
internal sealed class EmittedHelpers
{
    /// <summary>Some code calls <c>SegmentEnd(key, start)</c>.</summary>
    public bool SegmentEnd { get; private set; }

    /// <summary>Some code calls <c>Equal(segment, literal)</c>.</summary>
    public bool Equal { get; private set; }

    /// <summary>Some code calls <c>StartsWith(segment, prefix)</c>.</summary>
    public bool StartsWith { get; private set; }

    /// <summary>Some code calls <c>EndsWith(segment, suffix)</c>.</summary>
    public bool EndsWith { get; private set; }

    /// <summary><c>SegmentEnd(key, start)</c>: the end of the segment starting at <paramref name="start"/>.</summary>
    public string CallSegmentEnd(string start)
    {
        SegmentEnd = true;
        return "SegmentEnd(key, " + start + ")";
    }

    /// <summary><c>Equal(segment, literal)</c>: the segment is exactly the literal (a UTF-8 literal expression).</summary>
    public string CallEqual(string segment, string literal)
    {
        Equal = true;
        return "Equal(" + segment + ", " + literal + ")";
    }

    /// <summary><c>StartsWith(segment, prefix)</c>.</summary>
    public string CallStartsWith(string segment, string prefix)
    {
        StartsWith = true;
        return "StartsWith(" + segment + ", " + prefix + ")";
    }

    /// <summary><c>EndsWith(segment, suffix)</c>.</summary>
    public string CallEndsWith(string segment, string suffix)
    {
        EndsWith = true;
        return "EndsWith(" + segment + ", " + suffix + ")";
    }
}
