using SochDb.Policy.Glob;
using SochDb.Policy.Matching;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Tests.Glob;

/// <summary>The example table of the glob grammar (docs/semantics.md), row by row, plus the '**' forms the grammar spells out.</summary>
public sealed class GlobDesignExamplesTests
{
    [Theory]
    [InlineData("system/*", "system/config")]
    [InlineData("system/*", "system/")]
    [InlineData("users/*/email", "users/alice/email")]
    [InlineData("users/*/email", "users//email")]
    [InlineData("users/**", "users/alice")]
    [InlineData("users/**", "users/alice/profile/photo")]
    [InlineData("users/**", "users/")]
    [InlineData("*.json", "config.json")]
    [InlineData("*.json", ".json")]
    [InlineData("config/*.{json,yaml}", "config/app.yaml")]
    [InlineData("config/*.{json,yaml}", "config/app.json")]
    [InlineData("a+b", "a+b")]
    [InlineData("**/x", "x")]
    [InlineData("**/x", "a/x")]
    [InlineData("**/x", "a/b/x")]
    [InlineData("a/**/b", "a/b")]
    [InlineData("a/**/b", "a/x/b")]
    [InlineData("a/**/b", "a/x/y/b")]
    [InlineData("a/**", "a/")]
    [InlineData("a/**", "a/b/c")]
    [InlineData("**", "anything/at/all")]
    [InlineData("**", "k")]
    [InlineData("a|b", "a|b")]
    [InlineData("(x)", "(x)")]
    [InlineData("?", "é")]
    [InlineData("[a-c]x", "bx")]
    [InlineData("[!a-c]x", "dx")]
    [InlineData("[]]", "]")]
    [InlineData("[!]]", "a")]
    [InlineData("\\*", "*")]
    [InlineData("a\\/b", "a/b")]
    [InlineData("{,x}a", "a")]
    [InlineData("{a*,b?}z", "aqqz")]
    public void Matches(string pattern, string key) => Assert.True(GlobMatcher.Compile(pattern).IsMatch(key), $"{pattern} should match {key}");

    [Theory]
    [InlineData("system/*", "system")]
    [InlineData("system/*", "system/a/b")]
    [InlineData("system/*", "System/config")]
    [InlineData("users/*/email", "users/a/b/email")]
    [InlineData("users/**", "users")]
    [InlineData("users/**", "usersX/a")]
    [InlineData("*.json", "dir/config.json")]
    [InlineData("*.json", "configXjson")]
    [InlineData("config/*.{json,yaml}", "config/app.yml")]
    [InlineData("a+b", "aab")]
    [InlineData("a|b", "a")]
    [InlineData("a|b", "abc")]
    [InlineData("a/**", "a")]
    [InlineData("a/**/b", "a/x/c")]
    [InlineData("?", "ab")]
    [InlineData("?", "/")]
    [InlineData("*", "a/b")]
    [InlineData("[!a-c]x", "bx")]
    [InlineData("secrets/*", "users/../secrets/k")]
    [InlineData("a/b", "a//b")]
    [InlineData("a/b", "a/./b")]
    public void DoesNotMatch(string pattern, string key) => Assert.False(GlobMatcher.Compile(pattern).IsMatch(key), $"{pattern} should not match {key}");

    [Fact]
    public void InvalidUtf8KeysAreMatchedBytewise()
    {
        byte[] key = [(byte)'u', (byte)'/', 0xFF, 0xFE, (byte)'/', (byte)'e'];
        Assert.True(GlobMatcher.Compile("u/*/e").IsMatch(key));
        Assert.True(GlobMatcher.Compile("u/??/e").IsMatch(key));
        Assert.False(GlobMatcher.Compile("u/?/e").IsMatch(key));
        Assert.True(GlobMatcher.Compile("u/**").IsMatch(key));
        Assert.True(GlobMatcher.Compile("u/[!a][!a]/e").IsMatch(key));
        Assert.False(GlobMatcher.Compile("u/[a-z]*/e").IsMatch(key));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void PathologicalPatternReturnsAtOnce()
    {
        byte[] key = new byte[1 << 20];
        key.AsSpan().Fill((byte)'a');
        // A backtracking matcher needs on the order of n^8 steps here and would never finish; the automaton does
        // 1 MiB x 26 states. No timing assertion: the test's completing is the evidence.
        Assert.False(GlobMatcher.Compile("*a*a*a*a*a*a*a*a*b").IsMatch(key));
        Assert.True(GlobMatcher.Compile("*a*a*a*a*a*a*a*a*a").IsMatch(key));
        Assert.False(GlobMatcher.Compile("a/**/**/**/**/**/**/b").IsMatch(System.Text.Encoding.UTF8.GetBytes("a/" + string.Concat(Enumerable.Repeat("x/", 5000)) + "c")));
    }

    [Theory]
    [InlineData("", nameof(GlobErrorCode.EmptyPattern), 0, 0)]
    [InlineData("a**", nameof(GlobErrorCode.DoubleStarNotWholeSegment), 1, 2)]
    [InlineData("**.json", nameof(GlobErrorCode.DoubleStarNotWholeSegment), 0, 2)]
    [InlineData("a/***/b", nameof(GlobErrorCode.DoubleStarNotWholeSegment), 2, 3)]
    [InlineData("{a,**}", nameof(GlobErrorCode.DoubleStarNotWholeSegment), 3, 2)]
    [InlineData("sys[tem/*", nameof(GlobErrorCode.SlashInClass), 7, 1)]
    [InlineData("abc[de", nameof(GlobErrorCode.UnclosedClass), 3, 1)]
    [InlineData("x/[]", nameof(GlobErrorCode.EmptyClass), 2, 2)]
    [InlineData("[!]", nameof(GlobErrorCode.EmptyClass), 0, 3)]
    [InlineData("a[z-a]", nameof(GlobErrorCode.ReversedRange), 2, 3)]
    [InlineData("a/{b,c", nameof(GlobErrorCode.UnclosedBrace), 2, 1)]
    [InlineData("{a/b}", nameof(GlobErrorCode.SlashInBrace), 2, 1)]
    [InlineData("{a,{b}}", nameof(GlobErrorCode.NestedBrace), 3, 1)]
    [InlineData("abc\\", nameof(GlobErrorCode.TrailingBackslash), 3, 1)]
    public void RejectsWithPosition(string pattern, string code, int position, int length)
    {
        // The code is passed by name: GlobErrorCode is internal, and a public test method cannot take it.
        GlobParseError? error = GlobParser.Validate(pattern);
        Assert.NotNull(error);
        Assert.Equal((Enum.Parse<GlobErrorCode>(code), position, length), (error!.Code, error.Position, error.Length));
        var thrown = Assert.Throws<GlobPatternException>(() => GlobMatcher.Compile(pattern));
        Assert.Equal(pattern, thrown.Pattern);
        Assert.Equal(position, thrown.Position);
        Assert.Equal(length, thrown.Length);
        Assert.Contains(error.Message, thrown.Message);
    }

    [Fact]
    public void RejectsLoneSurrogate()
    {
        // Built at run time: attribute metadata cannot carry a lone surrogate.
        string pattern = "a" + (char)0xD800 + "b";
        GlobParseError? error = GlobParser.Validate(pattern);
        Assert.Equal((GlobErrorCode.LoneSurrogate, 1, 1), (error!.Code, error.Position, error.Length));
        Assert.Null(GlobParser.Validate("a\U0001F600b"));
    }

    [Fact]
    public void RejectsOverlongPattern()
    {
        string pattern = new('a', GlobParser.MaxPatternLength + 5);
        GlobParseError? error = GlobParser.Validate(pattern);
        Assert.Equal(GlobErrorCode.PatternTooLong, error!.Code);
        Assert.Equal(GlobParser.MaxPatternLength, error.Position);
        Assert.Null(GlobParser.Validate(new string('a', GlobParser.MaxPatternLength)));
    }

    [Fact]
    public void UnclosedClassMessageSaysWhere() =>
        Assert.Equal("unclosed '[' at 7", GlobParser.Validate("config/[abc")!.Message);
}
