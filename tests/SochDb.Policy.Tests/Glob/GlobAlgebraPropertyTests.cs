using CsCheck;
using SochDb.Policy.Glob;
using static SochDb.Policy.Tests.Glob.GlobCaseGenerators;

namespace SochDb.Policy.Tests.Glob;

/// <summary>
/// The glob algebra against brute force: for random sets of patterns drawn from the whole grammar, every key up to a
/// small length over a small alphabet is matched by <see cref="ReferenceGlobMatcher"/>, and every ordered pair's
/// inclusion and overlap must agree with what those keys show. A "no" for inclusion and a "yes" for overlap carry a
/// witness key, checked with the reference matcher too, so answers that hinge on keys longer than the enumeration are
/// checked exactly as well.
/// </summary>
public sealed class GlobAlgebraPropertyTests
{
    private static readonly int[] AsciiPatternChars = ['a', 'b', '.'];

    private static readonly byte[] AsciiKeyBytes = "ab/."u8.ToArray();

    // 'é' is C3 A9 in UTF-8; a lone C3 or A9, and FF, are bytes that are not UTF-8.
    private static readonly int[] Utf8PatternChars = ['a', 'é', '.'];

    private static readonly byte[] Utf8KeyBytes = [(byte)'a', (byte)'/', 0xC3, 0xA9, 0xFF];

    [Fact]
    public void AgreesWithBruteForceOnAsciiKeysUpToFiveBytes() =>
        CheckAgainstBruteForce(AsciiPatternChars, AsciiKeyBytes, maxLength: 5);

    [Fact]
    public void AgreesWithBruteForceOnKeysWithMultibyteAndInvalidUtf8() =>
        CheckAgainstBruteForce(Utf8PatternChars, Utf8KeyBytes, maxLength: 4);

    private static void CheckAgainstBruteForce(int[] patternChars, byte[] keyBytes, int maxLength)
    {
        byte[][] keys = AllKeys(keyBytes, maxLength);
        long pairs = 0;
        long includes = 0;
        long overlaps = 0;
        long strictOverlaps = 0;
        PatternsOver(patternChars).Array[40, 40].Sample(sample =>
        {
            string[] texts = sample.Select(p => p.Text).Distinct().ToArray();
            GlobPattern[] parsed = texts.Select(t => GlobParser.TryParse(t, out GlobPattern? p, out _) ? p! : throw new InvalidOperationException(t)).ToArray();
            bool[][] matches = texts.Select(t => keys.Select(k => ReferenceGlobMatcher.IsMatch(t, k)).ToArray()).ToArray();

            // One alphabet and one automaton per pattern, shared by every comparison, as the set analysis does.
            GlobAlphabet alphabet = GlobAlphabet.For(parsed);
            GlobAutomaton[] automata = parsed.Select(p => GlobAutomaton.Build(p, alphabet)).ToArray();
            for (int i = 0; i < texts.Length; i++)
            {
                for (int j = 0; j < texts.Length; j++)
                {
                    CheckPair(texts[i], automata[i], matches[i], texts[j], automata[j], matches[j], keys,
                        out bool included, out bool overlapping);
                    if (j == i + 1)
                    {
                        // The pattern-level entry points build their own alphabet: they must answer the same.
                        Assert.Equal(included, GlobAlgebra.Includes(parsed[i], parsed[j]).IsYes);
                        Assert.Equal(overlapping, GlobAlgebra.Overlaps(texts[i], texts[j]).IsYes);
                    }
                    Interlocked.Increment(ref pairs);
                    if (included)
                    {
                        Interlocked.Increment(ref includes);
                    }

                    if (overlapping)
                    {
                        Interlocked.Increment(ref overlaps);
                        if (!included)
                        {
                            Interlocked.Increment(ref strictOverlaps);
                        }
                    }
                }
            }
        }, iter: 8);

        // Guards the generator: the property means little unless both answers occur often.
        Assert.True(pairs >= 10_000, $"only {pairs} pairs were compared");
        Assert.True(includes * 50 > pairs, $"only {includes} of {pairs} pairs were inclusions");
        Assert.True(strictOverlaps * 50 > pairs, $"only {strictOverlaps} of {pairs} pairs overlapped without inclusion");
        Assert.True((pairs - overlaps) * 10 > pairs, $"only {pairs - overlaps} of {pairs} pairs were disjoint");
    }

    private static void CheckPair(
        string a, GlobAutomaton pa, bool[] ma, string b, GlobAutomaton pb, bool[] mb, byte[][] keys, out bool included, out bool overlapping)
    {
        GlobRelation inclusion = GlobAlgebra.Includes(pa, pb);
        GlobRelation overlap = GlobAlgebra.Overlaps(pa, pb);
        GlobRelation equivalence = GlobAlgebra.Equivalent(pa, pb);
        Assert.True(inclusion.Verdict != GlobVerdict.NotAnalysed, $"Includes({a}, {b}) was not analysed");
        Assert.True(overlap.Verdict != GlobVerdict.NotAnalysed, $"Overlaps({a}, {b}) was not analysed");

        int counterexample = FirstIndex(keys.Length, k => mb[k] && !ma[k]);
        if (inclusion.IsYes)
        {
            Assert.True(counterexample < 0,
                $"Includes({a}, {b}) says yes, but {b} matches {Describe(keys[Math.Max(counterexample, 0)])} and {a} does not");
        }
        else
        {
            byte[] witness = inclusion.Witness ?? throw new Xunit.Sdk.XunitException($"Includes({a}, {b}) says no without a witness");
            Assert.True(ReferenceGlobMatcher.IsMatch(b, witness) && !ReferenceGlobMatcher.IsMatch(a, witness),
                $"Includes({a}, {b}) says no, but its witness {Describe(witness)} does not show it");
        }

        int common = FirstIndex(keys.Length, k => ma[k] && mb[k]);
        if (overlap.IsYes)
        {
            byte[] witness = overlap.Witness ?? throw new Xunit.Sdk.XunitException($"Overlaps({a}, {b}) says yes without a witness");
            Assert.True(ReferenceGlobMatcher.IsMatch(a, witness) && ReferenceGlobMatcher.IsMatch(b, witness),
                $"Overlaps({a}, {b}) says yes, but its witness {Describe(witness)} is not matched by both");
        }
        else
        {
            Assert.True(common < 0, $"Overlaps({a}, {b}) says no, but both match {Describe(keys[Math.Max(common, 0)])}");
        }

        bool bothWays = inclusion.IsYes && GlobAlgebra.Includes(pb, pa).IsYes;
        Assert.True(equivalence.IsYes == bothWays, $"Equivalent({a}, {b}) is {equivalence} but inclusion both ways is {bothWays}");
        included = inclusion.IsYes;
        overlapping = overlap.IsYes;
    }

    private static int FirstIndex(int count, Func<int, bool> predicate)
    {
        for (int i = 0; i < count; i++)
        {
            if (predicate(i))
            {
                return i;
            }
        }

        return -1;
    }

    private static byte[][] AllKeys(byte[] alphabet, int maxLength)
    {
        var keys = new List<byte[]> { Array.Empty<byte>() };
        var layer = new List<byte[]> { Array.Empty<byte>() };
        for (int length = 1; length <= maxLength; length++)
        {
            var next = new List<byte[]>();
            foreach (byte[] prefix in layer)
            {
                foreach (byte b in alphabet)
                {
                    next.Add([.. prefix, b]);
                }
            }

            keys.AddRange(next);
            layer = next;
        }

        return keys.ToArray();
    }

    private static string Describe(byte[] key) => $"{Convert.ToHexString(key)} ({GlobAlgebra.Display(key)})";
}
