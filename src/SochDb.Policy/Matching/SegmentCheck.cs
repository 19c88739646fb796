using System;
using System.Text;
using SochDb.Policy.Matching.Planning;

namespace SochDb.Policy.Matching;

/// <summary>
/// A <see cref="SegmentTest"/> ready to run: the same span comparisons the generated code spells out (literal,
/// <c>p*</c>, <c>*s</c>, <c>p*s</c>, braces of those), or the segment automaton for the rest.
/// </summary>
internal sealed class SegmentCheck
{
    public static readonly SegmentCheck Any = new(SegmentTestKind.Any, [], [], [], null);

    private readonly SegmentTestKind _kind;
    private readonly byte[][] _prefixes;
    private readonly byte[][] _suffixes;
    private readonly bool[] _stars;
    private readonly SegmentProgram? _program;

    private SegmentCheck(SegmentTestKind kind, byte[][] prefixes, byte[][] suffixes, bool[] stars, SegmentProgram? program)
    {
        _kind = kind;
        _prefixes = prefixes;
        _suffixes = suffixes;
        _stars = stars;
        _program = program;
    }

    public static SegmentCheck For(SegmentTest test)
    {
        switch (test.Kind)
        {
            case SegmentTestKind.Any:
                return Any;
            case SegmentTestKind.Program:
                return new SegmentCheck(SegmentTestKind.Program, [], [], [], SegmentProgram.Compile(test.Tokens));
        }

        SegmentShape[] shapes = test.Shapes;
        var prefixes = new byte[shapes.Length][];
        var suffixes = new byte[shapes.Length][];
        var stars = new bool[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            prefixes[i] = Encoding.UTF8.GetBytes(shapes[i].Prefix);
            suffixes[i] = Encoding.UTF8.GetBytes(shapes[i].Suffix);
            stars[i] = shapes[i].HasStar;
        }

        return new SegmentCheck(SegmentTestKind.Shapes, prefixes, suffixes, stars, null);
    }

    public bool IsAny => _kind == SegmentTestKind.Any;

    public bool IsMatch(ReadOnlySpan<byte> segment)
    {
        switch (_kind)
        {
            case SegmentTestKind.Any:
                return true;
            case SegmentTestKind.Program:
                return _program!.IsMatch(segment);
        }

        byte[][] prefixes = _prefixes;
        for (int i = 0; i < prefixes.Length; i++)
        {
            byte[] prefix = prefixes[i];
            if (!_stars[i])
            {
                if (segment.SequenceEqual(prefix))
                {
                    return true;
                }

                continue;
            }

            byte[] suffix = _suffixes[i];
            if (segment.Length >= prefix.Length + suffix.Length && segment.StartsWith(prefix) && segment.EndsWith(suffix))
            {
                return true;
            }
        }

        return false;
    }
}
