using SochDb.Policy.Glob;

namespace SochDb.Policy.Tests.Glob;

/// <summary>The glob algebra on cases a reader can check by eye, and its budget.</summary>
public sealed class GlobAlgebraTests
{
    [Theory]
    [InlineData("users/**", "users/*")]
    [InlineData("users/**", "users/*/email")]
    [InlineData("**", "anything/at/all")]
    [InlineData("**/secret", "a/b/secret")]
    [InlineData("**/secret", "secret")]
    [InlineData("*.json", "config.json")]
    [InlineData("config/*.{json,yaml}", "config/app.yaml")]
    [InlineData("[a-z]*", "abc")]
    [InlineData("[!a]", "b")]
    [InlineData("a/**/b", "a/b")]
    [InlineData("a/**/b", "a/*/*/b")]
    [InlineData("?", "\\*")]
    [InlineData("*", "[!a-z]")]
    public void Includes(string a, string b) => Assert.True(GlobAlgebra.Includes(a, b).IsYes, $"{a} should include {b}");

    [Theory]
    [InlineData("users/*", "users/**", "users//")]
    [InlineData("users/**", "users", "users")]
    [InlineData("x/**", "x", "x")]
    [InlineData("*.json", "**/*.json", "/.json")]
    [InlineData("[a-z]", "?", "\\xFF")]
    [InlineData("[!a]", "?", "a")]
    [InlineData("a/**/b", "a/**", "a/")]
    public void DoesNotInclude(string a, string b, string witness)
    {
        GlobRelation relation = GlobAlgebra.Includes(a, b);
        Assert.True(relation.IsNo, $"{a} should not include {b}");
        Assert.Equal(witness, GlobAlgebra.Display(relation.Witness!).Trim('"'));
    }

    [Theory]
    [InlineData("users/*", "*/email", "users/email")]
    [InlineData("**/secret", "vault/**", "vault/secret")]
    [InlineData("[!a]", "[a-c]", "b")]
    public void Overlaps(string a, string b, string witness)
    {
        GlobRelation relation = GlobAlgebra.Overlaps(a, b);
        Assert.True(relation.IsYes);
        Assert.Equal(witness, System.Text.Encoding.UTF8.GetString(relation.Witness!));
    }

    [Theory]
    [InlineData("*.json", "config/*")]
    [InlineData("users/*", "users")]
    [InlineData("a/*", "a/*/*")]
    [InlineData("[a-c]", "[!a-z]")]
    public void DoesNotOverlap(string a, string b) => Assert.True(GlobAlgebra.Overlaps(a, b).IsNo);

    [Theory]
    [InlineData("{a,a}/x", "a/x", true)]
    [InlineData("a/{b,c}", "a/[bc]", true)]
    [InlineData("**/**", "**", true)]
    [InlineData("a\\/b", "a/b", true)]
    [InlineData("\\a", "a", true)]
    [InlineData("{x,*}/**", "*/**", true)]
    [InlineData("*", "**", false)]
    [InlineData("**/x", "x", false)]
    [InlineData("a/*", "a/?*", false)]
    public void Equivalence(string a, string b, bool expected) => Assert.Equal(expected, GlobAlgebra.Equivalent(a, b).IsYes);

    [Fact]
    public void NonUtf8BytesAreOneCharacterThatOnlyWildcardsAndNegatedClassesMatch()
    {
        // A class of every scalar value misses the byte FF; "?" and a negated class match it.
        const string everyScalar = "[\u0000-\U0010FFFF]";
        const string noScalar = "[!\u0000-\U0010FFFF]";
        GlobRelation relation = GlobAlgebra.Includes(everyScalar, "?");
        Assert.True(relation.IsNo);
        Assert.Equal(new byte[] { 0xFF }, relation.Witness);
        Assert.True(GlobAlgebra.Overlaps("[!a]", noScalar).IsYes);
        Assert.True(GlobAlgebra.Overlaps(everyScalar, noScalar).IsNo);
    }

    [Fact]
    public void SurrogatesAreNoCharacters()
    {
        // [\uD7FF-\uE000] holds U+D7FF and U+E000 only: the surrogates between them are no key's characters, so a
        // class of everything but those two and the scalars around them matches only the non-UTF-8 byte.
        Assert.True(GlobAlgebra.Overlaps("[\uD7FF-\uE000]", "[!\u0000-\uD7FF\uE000-\U0010FFFF]").IsNo);
    }

    [Fact]
    public void PastTheBudgetTheAnswerIsNotAnalysed()
    {
        string a = "*a???";
        string b = "*b???";
        Assert.Equal(GlobVerdict.NotAnalysed, GlobAlgebra.Includes(a, b, budget: 5).Verdict);
        Assert.Equal(GlobVerdict.NotAnalysed, GlobAlgebra.Overlaps(a, b, budget: 1).Verdict);

        // With the default budget the answer comes, and it is right.
        GlobRelation full = GlobAlgebra.Includes(a, b);
        Assert.True(full.IsNo);
        Assert.True(ReferenceGlobMatcher.IsMatch(b, full.Witness!) && !ReferenceGlobMatcher.IsMatch(a, full.Witness!));
    }

    [Fact]
    public void ABlowUpStopsAtTheStateCap()
    {
        // The deterministic automaton of "*a" followed by n '?' has 2^n states: 2^20 is past any cap.
        string a = "*a" + new string('?', 20);
        string b = "*b" + new string('?', 20);
        Assert.Equal(GlobVerdict.NotAnalysed, GlobAlgebra.Includes(a, b).Verdict);
    }

    [Fact]
    public void InvalidPatternsAreRefusedWithTheReason()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => GlobAlgebra.Includes("a**", "a"));
        Assert.Contains("a**", error.Message);
    }
}
