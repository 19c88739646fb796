using SochDb.Policy.Glob;
using SochDb.Policy.Matching;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Tests.Glob;

/// <summary>Cases the property tests found or pinned, kept as plain examples.</summary>
public sealed class GlobRegressionTests
{
    [Theory]
    [InlineData("**\\/x", "x", true)]
    [InlineData("**\\/x", "a/b/x", true)]
    [InlineData("**\\/x", "ax", false)]
    [InlineData("a\\/**\\/b", "a/b", true)]
    [InlineData("a\\/**\\/b", "a/x/y/b", true)]
    [InlineData("a\\/**", "a/", true)]
    [InlineData("a\\/**", "a", false)]
    [InlineData("**\\/**", "k", true)]
    public void EscapedSeparatorEndsADoubleStarSegment(string pattern, string key, bool matches)
    {
        // '\/' is the separator, so '**\/x' is '**/x'; the parser used to reject it as '**' sharing a segment.
        Assert.Null(GlobParser.Validate(pattern));
        Assert.Equal(matches, GlobMatcher.Compile(pattern).IsMatch(key));
        Assert.Equal(matches, ReferenceGlobMatcher.IsMatch(pattern, System.Text.Encoding.UTF8.GetBytes(key)));
    }

    [Fact]
    public void DoubleStarFollowedByAnEscapedOtherCharacterIsStillAnError()
    {
        GlobParseError? error = GlobParser.Validate("a/**\\*");
        Assert.NotNull(error);
        Assert.Equal(GlobErrorCode.DoubleStarNotWholeSegment, error!.Code);
        Assert.Equal(2, error.Position);
    }

    [Theory]
    [InlineData("[^a]", "^", true)]   // only '!' negates: '^' is a member like any other
    [InlineData("[^a]", "a", true)]
    [InlineData("[^a]", "b", false)]
    [InlineData("[-a]", "-", true)]   // '-' first or last is literal
    [InlineData("[a-]", "-", true)]
    [InlineData("[a-]", "b", false)]
    [InlineData("a}", "a}", true)]    // a stray '}' or ',' outside braces is a literal character
    [InlineData("a,b", "a,b", true)]
    [InlineData("a,b", "a", false)]
    public void ClassAndBraceEdgeCasesAreLiteralWhereTheGrammarSaysSo(string pattern, string key, bool matches)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(key);
        Assert.Equal(matches, GlobMatcher.Compile(pattern).IsMatch(bytes));
        Assert.Equal(matches, ReferenceGlobMatcher.IsMatch(pattern, bytes));
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0xA9 }, false)] // "é": '*' never splits a character, so the class sees 'é'
    [InlineData(new byte[] { 0xC3, 0xA9, 0x61 }, true)]
    [InlineData(new byte[] { 0xC3 }, true)] // a lone lead byte is no UTF-8: only a negated class admits it
    [InlineData(new byte[] { 0xA9 }, true)]
    public void StarTakesWholeCharacters(byte[] key, bool matches)
    {
        Assert.Equal(matches, GlobMatcher.Compile("*[!é]").IsMatch(key));
        Assert.Equal(matches, ReferenceGlobMatcher.IsMatch("*[!é]", key));
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x41 }, "??", true)] // 0xC3 not followed by a continuation byte is one character
    [InlineData(new byte[] { 0xC3, 0x41 }, "?", false)]
    [InlineData(new byte[] { 0xE2, 0x82 }, "??", true)] // a truncated sequence is one character per byte
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "???", true)] // an encoded surrogate is not UTF-8
    [InlineData(new byte[] { 0x61, 0xC0, 0xAF, 0x62 }, "a??b", true)] // an overlong '/' is two bytes of no UTF-8...
    [InlineData(new byte[] { 0x61, 0xC0, 0xAF, 0x62 }, "a/*", false)] // ...and never a separator
    public void InvalidUtf8IsOneCharacterPerByte(byte[] key, string pattern, bool matches)
    {
        Assert.Equal(matches, GlobMatcher.Compile(pattern).IsMatch(key));
        Assert.Equal(matches, ReferenceGlobMatcher.IsMatch(pattern, key));
    }
}
