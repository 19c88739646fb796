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

    /// <summary>
    /// For <see cref="AnchorPart.Prefix"/> and <see cref="AnchorPart.Suffix"/>: how many bytes are compared, the literal's
    /// length cut to <see cref="AnchorChooser.PartLength"/>.
    /// </summary>
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
    public AnchorEntry(AnchorKind kind, byte[] bytes, byte[] full)
    {
        Kind = kind;
        Bytes = bytes;
        Full = full;
        Literal = AnchorText.Describe(bytes);
        Key = AnchorText.Key(bytes);
    }

    public AnchorKind Kind { get; }

    /// <summary>The bytes as text, for comments (a part cut inside a UTF-8 character shows its bytes as <c>\xNN</c>).</summary>
    public string Literal { get; }

    /// <summary>The bytes the key's part is compared with.</summary>
    public byte[] Bytes { get; }

    /// <summary>The whole literal (longer than <see cref="Bytes"/> when cut): where a crowded case is told apart further.</summary>
    public byte[] Full { get; }

    /// <summary>The bytes one char each: equal keys, equal bytes (what the planner groups cases by).</summary>
    public string Key { get; }
}

/// <summary>Byte literals as text: for comments, and as dictionary keys while a tree is built.</summary>
internal static class AnchorText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Describe(byte[] bytes)
    {
        if (TryDecode(bytes, out string text))
        {
            return text;
        }

        var escaped = new StringBuilder();
        foreach (byte b in bytes)
        {
            escaped.Append(b is >= 0x20 and < 0x7F && b != (byte)'\\' && b != (byte)'"'
                ? ((char)b).ToString()
                : "\\x" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return escaped.ToString();
    }

    /// <summary>The bytes as text when they are whole UTF-8 (a part cut inside a character is not).</summary>
    public static bool TryDecode(byte[] bytes, out string text)
    {
        try
        {
            text = Strict.GetString(bytes);
            return true;
        }
        catch (ArgumentException)
        {
            text = "";
            return false;
        }
    }

    public static string Key(byte[] bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[i] = (char)bytes[i];
        }

        return new string(chars);
    }

    /// <summary>
    /// A part of at most four bytes as one number, byte 0 lowest (zero above the part): the generated code and the
    /// run-time table compare prefix and suffix anchors this way, as integers.
    /// </summary>
    public static uint Number(byte[] bytes)
    {
        uint value = 0;
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        return value;
    }
}

/// <summary>Chooses the anchor of a pattern's remainder (the segments after its literal path).</summary>
internal static class AnchorChooser
{
    /// <summary>
    /// The most bytes a prefix or suffix anchor compares: a longer literal is filed under its first (or last) four
    /// bytes. One kind per segment and side then serves every literal of four bytes or more (instead of one kind, so one
    /// look-up, per literal length), the part compares as one 32-bit number, and four bytes still tell real literals
    /// apart (<c>.json</c> and <c>.yaml</c> become <c>json</c> and <c>yaml</c>). The anchor only has to be a necessary
    /// condition: every rule found through it is still tested in full.
    /// </summary>
    public const int PartLength = 4;

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
            Keep(1000 + Math.Min(MinLength(suffixes), PartLength), suffixes, fromEnd, position, AnchorPart.Suffix, ref best, ref bestScore);
        }

        List<string>? prefixes = Ends(sequences, fromStart: true);
        if (prefixes is not null)
        {
            Keep(1000 + Math.Min(MinLength(prefixes), PartLength), prefixes, fromEnd, position, AnchorPart.Prefix, ref best, ref bestScore);
        }
    }

    private static void Keep(int score, List<string> literals, bool fromEnd, int position, AnchorPart part, ref AnchorEntry[]? best, ref int bestScore)
    {
        if (score <= bestScore)
        {
            return;
        }

        // Literals that cut alike (.config, .xonfig) are both kept: the tree files the rule once per case, and tells
        // the whole literals apart if the case is crowded.
        var entries = new AnchorEntry[literals.Count];
        for (int i = 0; i < literals.Count; i++)
        {
            byte[] full = Encoding.UTF8.GetBytes(literals[i]);
            byte[] bytes = Cut(full, part);
            int length = part == AnchorPart.Whole ? 0 : bytes.Length;
            entries[i] = new AnchorEntry(new AnchorKind(fromEnd, position, part, length), bytes, full);
        }

        best = entries;
        bestScore = score;
    }

    /// <summary>A prefix's first, or a suffix's last, <see cref="PartLength"/> bytes (cut at a byte, not a character: the key is compared byte by byte).</summary>
    private static byte[] Cut(byte[] bytes, AnchorPart part)
    {
        if (part == AnchorPart.Whole || bytes.Length <= PartLength)
        {
            return bytes;
        }

        var cut = new byte[PartLength];
        Array.Copy(bytes, part == AnchorPart.Prefix ? 0 : bytes.Length - PartLength, cut, 0, PartLength);
        return cut;
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
