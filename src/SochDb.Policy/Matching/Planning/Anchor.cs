using System;
using System.Collections.Generic;
using System.Text;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Matching.Planning;

/// <summary>Which part of a key segment an anchor compares.</summary>
internal enum AnchorPart
{
    /// <summary>The whole segment equals the literal.</summary>
    Whole,
    /// <summary>The segment starts with the literal.</summary>
    Prefix,
    /// <summary>The segment ends with the literal.</summary>
    Suffix,
}

/// <summary>
/// Where in a key an index looks: a segment counted from the node's position (or from the key's end), and which part
/// of it. Every rule filed under one kind is found by one look-up of that part in a literal switch, so the work for a
/// key is one look-up per kind, whatever the number of rules.
/// </summary>
internal readonly struct AnchorKind : IEquatable<AnchorKind>, IComparable<AnchorKind>
{
    public AnchorKind(bool fromEnd, int segment, AnchorPart part, int length)
    {
        FromEnd = fromEnd;
        Segment = segment;
        Part = part;
        Length = length;
    }

    /// <summary>Whether <see cref="Segment"/> counts back from the key's last segment (0: the last).</summary>
    public bool FromEnd { get; }

    /// <summary>The segment, counted from 0 after the node's path (or back from the key's end).</summary>
    public int Segment { get; }

    public AnchorPart Part { get; }

    /// <summary>For <see cref="AnchorPart.Prefix"/> and <see cref="AnchorPart.Suffix"/>: the literal's length in bytes.</summary>
    public int Length { get; }

    public bool Equals(AnchorKind other) =>
        FromEnd == other.FromEnd && Segment == other.Segment && Part == other.Part && Length == other.Length;

    public override bool Equals(object? obj) => obj is AnchorKind other && Equals(other);

    public override int GetHashCode() => (((FromEnd ? 1 : 0) * 397 ^ Segment) * 397 ^ (int)Part) * 397 ^ Length;

    public int CompareTo(AnchorKind other)
    {
        int c = FromEnd.CompareTo(other.FromEnd);
        c = c != 0 ? c : Segment.CompareTo(other.Segment);
        c = c != 0 ? c : Part.CompareTo(other.Part);
        return c != 0 ? c : Length.CompareTo(other.Length);
    }

    /// <summary>How the generated code and the docs name it: <c>the second segment</c>, <c>the last segment's last 6 bytes</c>.</summary>
    public string Describe()
    {
        string[] ordinals = { "first", "second", "third", "fourth" };
        string segment = FromEnd
            ? (Segment == 0 ? "the last segment" : "segment " + Int(Segment) + " back from the last")
            : Segment < ordinals.Length ? "the " + ordinals[Segment] + " segment" : "segment " + Int(Segment) + " (from 0)";
        return Part switch
        {
            AnchorPart.Prefix => segment + "'s first " + Int(Length) + " bytes",
            AnchorPart.Suffix => segment + "'s last " + Int(Length) + " bytes",
            _ => segment,
        };
    }

    private static string Int(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One literal a rule is filed under: the rule can only match keys whose anchored part equals it.</summary>
internal sealed class AnchorEntry
{
    public AnchorEntry(AnchorKind kind, string literal)
    {
        Kind = kind;
        Literal = literal;
        Bytes = Encoding.UTF8.GetBytes(literal);
    }

    public AnchorKind Kind { get; }

    public string Literal { get; }

    public byte[] Bytes { get; }
}

/// <summary>Chooses the anchor of a pattern's remainder (the segments after its literal path).</summary>
internal static class AnchorChooser
{
    /// <summary>
    /// The literals that any matching key must hold at one place, so the rule can be found by look-up rather than tested
    /// on every key: a whole literal segment beats literal alternatives, which beat a suffix or prefix; longer beats
    /// shorter; counting from the node beats counting from the end. Null when no segment has a literal to go by (<c>*</c>,
    /// <c>**</c>, <c>[a-c]</c>).
    /// </summary>
    public static AnchorEntry[]? Choose(GlobSegment[] remainder)
    {
        int firstDoubleStar = remainder.Length;
        int lastDoubleStar = -1;
        for (int i = 0; i < remainder.Length; i++)
        {
            if (remainder[i].Kind == GlobSegmentKind.DoubleStar)
            {
                firstDoubleStar = Math.Min(firstDoubleStar, i);
                lastDoubleStar = i;
            }
        }

        AnchorEntry[]? best = null;
        int bestScore = -1;
        for (int i = 0; i < firstDoubleStar; i++)
        {
            Consider(remainder[i], fromEnd: false, i, ref best, ref bestScore);
        }

        // After the last '**' the segments sit at fixed places from the key's end (a trailing '**' leaves none).
        if (lastDoubleStar >= 0)
        {
            for (int i = remainder.Length - 1; i > lastDoubleStar; i--)
            {
                Consider(remainder[i], fromEnd: true, remainder.Length - 1 - i, ref best, ref bestScore);
            }
        }

        return best;
    }

    private static void Consider(GlobSegment segment, bool fromEnd, int position, ref AnchorEntry[]? best, ref int bestScore)
    {
        List<string>? whole = GlobExpansion.LiteralAlternatives(segment, SegmentTest.MaxAlternatives);
        if (whole is not null)
        {
            int score = (segment.Kind == GlobSegmentKind.Literal ? 3000 : 2000) + MinLength(whole);
            Keep(score, whole, fromEnd, position, AnchorPart.Whole, ref best, ref bestScore);
            return;
        }

        if (segment.Kind != GlobSegmentKind.Wildcard)
        {
            return;
        }

        List<List<GlobToken>>? sequences = GlobExpansion.Expand(segment.Tokens, SegmentTest.MaxAlternatives);
        if (sequences is null)
        {
            return;
        }

        List<string>? suffixes = Ends(sequences, fromStart: false);
        if (suffixes is not null)
        {
            Keep(1000 + MinLength(suffixes), suffixes, fromEnd, position, AnchorPart.Suffix, ref best, ref bestScore);
        }

        List<string>? prefixes = Ends(sequences, fromStart: true);
        if (prefixes is not null)
        {
            Keep(1000 + MinLength(prefixes), prefixes, fromEnd, position, AnchorPart.Prefix, ref best, ref bestScore);
        }
    }

    private static void Keep(int score, List<string> literals, bool fromEnd, int position, AnchorPart part, ref AnchorEntry[]? best, ref int bestScore)
    {
        if (score <= bestScore)
        {
            return;
        }

        var entries = new AnchorEntry[literals.Count];
        for (int i = 0; i < literals.Count; i++)
        {
            int length = part == AnchorPart.Whole ? 0 : Encoding.UTF8.GetByteCount(literals[i]);
            entries[i] = new AnchorEntry(new AnchorKind(fromEnd, position, part, length), literals[i]);
        }

        best = entries;
        bestScore = score;
    }

    /// <summary>The literal text each alternative starts (or ends) with; null when some alternative has none.</summary>
    private static List<string>? Ends(List<List<GlobToken>> sequences, bool fromStart)
    {
        var ends = new List<string>();
        foreach (List<GlobToken> sequence in sequences)
        {
            var text = new StringBuilder();
            if (fromStart)
            {
                for (int i = 0; i < sequence.Count && sequence[i].Kind == GlobTokenKind.Literal; i++)
                {
                    text.Append(sequence[i].Text);
                }
            }
            else
            {
                for (int i = sequence.Count - 1; i >= 0 && sequence[i].Kind == GlobTokenKind.Literal; i--)
                {
                    text.Insert(0, sequence[i].Text);
                }
            }

            if (text.Length == 0)
            {
                return null;
            }

            if (!ends.Contains(text.ToString()))
            {
                ends.Add(text.ToString());
            }
        }

        return ends;
    }

    private static int MinLength(List<string> literals)
    {
        int min = int.MaxValue;
        foreach (string literal in literals)
        {
            min = Math.Min(min, Encoding.UTF8.GetByteCount(literal));
        }

        return Math.Min(min, 999);
    }
}
