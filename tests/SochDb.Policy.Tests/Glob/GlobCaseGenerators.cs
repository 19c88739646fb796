using System.Text;
using CsCheck;

namespace SochDb.Policy.Tests.Glob;

/// <summary>
/// Random valid glob patterns (as a small syntax tree rendered to text) and random keys for them. Keys come
/// from two sources: free combinations of tricky pieces (empty segments, '.', '..', multibyte UTF-8, bytes that
/// are not UTF-8), and keys instantiated from the pattern itself, sometimes mutated, so that a good share match.
/// </summary>
internal static class GlobCaseGenerators
{
    /// <summary>Characters patterns are built from: specials that need escaping, class and brace syntax, multibyte text.</summary>
    private static readonly int[] PatternChars =
        ['a', 'b', 'c', 'z', '.', '-', '!', ',', '}', ']', '*', '?', '[', '{', '\\', '+', '|', '(', '^', 'é', '€', 0x1F600];

    /// <summary>Pieces of keys; every piece but "/" and "//" is one or more whole key characters.</summary>
    private static readonly byte[][] KeyPieces =
    [
        "a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray(), "z"u8.ToArray(), "."u8.ToArray(), ".."u8.ToArray(),
        "-"u8.ToArray(), "!"u8.ToArray(), ","u8.ToArray(), "]"u8.ToArray(), "*"u8.ToArray(), "\\"u8.ToArray(),
        "é"u8.ToArray(), "€"u8.ToArray(), "😀"u8.ToArray(),
        [0x80], [0xC3], [0xFF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF0, 0x9F, 0x98],
        "/"u8.ToArray(), "//"u8.ToArray(),
    ];

    private static readonly byte[][] SegmentPieces = KeyPieces.Where(p => !p.Contains((byte)'/')).ToArray();

    private static readonly byte[][] OneCharacterPieces = SegmentPieces.Where(p => ReferenceGlobMatcher.Decode(p).Length == 1).ToArray();

    public abstract record Element;

    public sealed record Literal(int Scalar, bool Escaped) : Element;

    public sealed record Star : Element;

    public sealed record AnyChar : Element;

    public sealed record CharClass(bool Negated, (int Low, int High)[] Items, bool LooseEdges) : Element;

    public sealed record Braces(Element[][] Alternatives) : Element;

    /// <summary>A pattern segment: <c>**</c> when <see cref="Elements"/> is null.</summary>
    public sealed record Segment(Element[]? Elements);

    public sealed record Pattern(Segment[] Segments, bool[] EscapedSeparators)
    {
        public string Text => Render(this);

        public override string ToString() => Text;
    }

    public static readonly Gen<Pattern> Patterns = PatternsOver(PatternChars);

    public static readonly Gen<byte[]> FreeKeys =
        Gen.Int[0, KeyPieces.Length - 1].Array[0, 7].Select(indexes => indexes.SelectMany(i => KeyPieces[i]).ToArray());

    /// <summary>Random strings over the grammar's special characters, lone surrogates included: mostly invalid patterns.</summary>
    public static readonly Gen<string> ArbitraryStrings = Gen.Frequency(
        (20, Gen.Char["*?[]{},!-\\/a.é\uD83D\uDE00\uD800\uDC00"].Array[0, 14].Select(chars => new string(chars))),
        (1, Gen.Int[1020, 1030].Select(length => new string('a', length))));

    /// <summary>Random valid patterns whose literals and class bounds come from <paramref name="chars"/>.</summary>
    public static Gen<Pattern> PatternsOver(int[] chars)
    {
        Gen<int> scalar = Gen.OneOf(chars);
        Gen<Element> literal = Gen.Select(scalar, Gen.Int[0, 4], (c, e) => (Element)new Literal(c, e == 0));
        Gen<Element> star = Gen.Const((Element)new Star());
        Gen<Element> any = Gen.Const((Element)new AnyChar());
        Gen<(int, int)> classItem = Gen.Select(scalar, scalar, Gen.Int[0, 2],
            (a, b, kind) => kind == 0 ? (Math.Min(a, b), Math.Max(a, b)) : (a, a));
        Gen<Element> charClass = Gen.Select(Gen.Bool, classItem.Array[1, 3], Gen.Bool,
            (negated, items, loose) => (Element)new CharClass(negated, items, loose));
        Gen<Element> simple = Gen.Frequency((4, literal), (2, star), (2, any), (2, charClass));
        Gen<Element> braces = simple.Array[0, 3].Array[1, 3].Select(alternatives => (Element)new Braces(alternatives.Select(Normalize).ToArray()));
        Gen<Element> element = Gen.Frequency((4, literal), (2, star), (2, any), (2, charClass), (2, braces));
        Gen<Segment> segment = Gen.Frequency(
            (1, Gen.Const(new Segment(null))),
            (5, element.Array[0, 4].Select(elements => new Segment(Normalize(elements)))));
        return Gen.Select(segment.Array[1, 4], Gen.Int[0, 4].Array[3, 3],
                (segments, separators) => new Pattern(segments, separators.Select(s => s == 0).ToArray()))
            .Where(p => p.Text.Length > 0);
    }

    /// <summary>Merges adjacent stars: "**" inside a segment is not a valid pattern, and "**" means the same as "*" there anyway.</summary>
    private static Element[] Normalize(Element[] elements) =>
        elements.Where((e, i) => !(e is Star && i > 0 && elements[i - 1] is Star)).ToArray();

    public static string Render(Pattern pattern)
    {
        var text = new StringBuilder();
        for (int s = 0; s < pattern.Segments.Length; s++)
        {
            if (s > 0)
            {
                text.Append(pattern.EscapedSeparators[(s - 1) % pattern.EscapedSeparators.Length] ? "\\/" : "/");
            }

            Element[]? elements = pattern.Segments[s].Elements;
            if (elements is null)
            {
                text.Append("**");
                continue;
            }

            foreach (Element element in elements)
            {
                RenderElement(text, element, inBraces: false);
            }
        }

        return text.ToString();
    }

    private static void RenderElement(StringBuilder text, Element element, bool inBraces)
    {
        switch (element)
        {
            case Literal literal:
            {
                bool special = literal.Scalar is '*' or '?' or '[' or '{' or '\\' || (inBraces && literal.Scalar is ',' or '}');
                if (special || literal.Escaped)
                {
                    text.Append('\\');
                }

                text.Append(char.ConvertFromUtf32(literal.Scalar));
                break;
            }

            case Star:
                text.Append('*');
                break;
            case AnyChar:
                text.Append('?');
                break;
            case CharClass charClass:
                text.Append(charClass.Negated ? "[!" : "[");
                for (int i = 0; i < charClass.Items.Length; i++)
                {
                    (int low, int high) = charClass.Items[i];
                    bool first = i == 0;
                    bool last = i == charClass.Items.Length - 1;
                    if (low == high)
                    {
                        // "[]..]", "[!]..]" and "[..-]" are legal without escapes; LooseEdges exercises those forms.
                        bool loose = charClass.LooseEdges && ((first && low == ']') || (last && low == '-' && !(first && !charClass.Negated)));
                        AppendClassChar(text, low, loose);
                    }
                    else
                    {
                        AppendClassChar(text, low, false);
                        text.Append('-');
                        AppendClassChar(text, high, false);
                    }
                }

                text.Append(']');
                break;
            case Braces braces:
                text.Append('{');
                for (int a = 0; a < braces.Alternatives.Length; a++)
                {
                    if (a > 0)
                    {
                        text.Append(',');
                    }

                    foreach (Element inner in braces.Alternatives[a])
                    {
                        RenderElement(text, inner, inBraces: true);
                    }
                }

                text.Append('}');
                break;
        }
    }

    private static void AppendClassChar(StringBuilder text, int scalar, bool loose)
    {
        if (!loose && scalar is ']' or '\\' or '-' or '!')
        {
            text.Append('\\');
        }

        text.Append(char.ConvertFromUtf32(scalar));
    }

    /// <summary>A key built to match <paramref name="pattern"/> (before any mutation), using <paramref name="random"/> for every choice.</summary>
    public static byte[] Instantiate(Pattern pattern, Random random, bool mutate)
    {
        var key = new List<byte>();
        bool firstSegment = true;
        void Separator()
        {
            if (!firstSegment)
            {
                key.Add((byte)'/');
            }

            firstSegment = false;
        }

        for (int s = 0; s < pattern.Segments.Length; s++)
        {
            Element[]? elements = pattern.Segments[s].Elements;
            if (elements is null)
            {
                bool trailing = s == pattern.Segments.Length - 1;
                int count = random.Next(trailing ? 1 : 0, 3);
                for (int i = 0; i < count; i++)
                {
                    Separator();
                    AddPieces(key, random, random.Next(0, 3));
                }

                continue;
            }

            Separator();
            foreach (Element element in elements)
            {
                InstantiateElement(key, element, random);
            }
        }

        byte[] result = key.ToArray();
        return mutate ? Mutate(result, random) : result;
    }

    private static void InstantiateElement(List<byte> key, Element element, Random random)
    {
        switch (element)
        {
            case Literal literal:
                key.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(literal.Scalar)));
                break;
            case Star:
                AddPieces(key, random, random.Next(0, 3));
                break;
            case AnyChar:
                key.AddRange(OneCharacterPieces[random.Next(OneCharacterPieces.Length)]);
                break;
            case CharClass charClass when !charClass.Negated || random.Next(3) == 0:
                (int low, int high) = charClass.Items[random.Next(charClass.Items.Length)];
                key.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(random.Next(2) == 0 ? low : high)));
                break;
            case CharClass:
                key.AddRange(OneCharacterPieces[random.Next(OneCharacterPieces.Length)]);
                break;
            case Braces braces:
                foreach (Element inner in braces.Alternatives[random.Next(braces.Alternatives.Length)])
                {
                    InstantiateElement(key, inner, random);
                }

                break;
        }
    }

    private static void AddPieces(List<byte> key, Random random, int count)
    {
        for (int i = 0; i < count; i++)
        {
            key.AddRange(SegmentPieces[random.Next(SegmentPieces.Length)]);
        }
    }

    private static byte[] Mutate(byte[] key, Random random)
    {
        var bytes = key.ToList();
        byte[] piece = KeyPieces[random.Next(KeyPieces.Length)];
        int at = random.Next(bytes.Count + 1);
        switch (random.Next(3))
        {
            case 0:
                bytes.InsertRange(at, piece);
                break;
            case 1 when bytes.Count > 0:
                bytes.RemoveAt(Math.Min(at, bytes.Count - 1));
                break;
            default:
                if (bytes.Count > 0)
                {
                    bytes[Math.Min(at, bytes.Count - 1)] = piece[0];
                }

                break;
        }

        return bytes.ToArray();
    }
}
