using System.Text;
using SochDb.Policy.Glob;
using SochDb.Policy.Matching.Planning;

namespace SochDb.Policy.Tests.Matching;

/// <summary>
/// The anchors the planner files wildcard-first rules under: prefixes and suffixes cut to four bytes (at a byte, also
/// inside a UTF-8 character), shorter literals kept whole, literals that cut alike filed once.
/// </summary>
public sealed class AnchorPlanTests
{
    [Theory]
    [InlineData("*.config", "suffix", "nfig")]
    [InlineData("*.json", "suffix", "json")]
    [InlineData("*.k", "suffix", ".k")]
    [InlineData("report-*", "prefix", "repo")]
    [InlineData("ab*", "prefix", "ab")]
    [InlineData("*/cache/*", "whole", "cache")]
    public void Prefix_and_suffix_anchors_compare_at_most_four_bytes(string pattern, string partName, string literal)
    {
        AnchorPart part = Enum.Parse<AnchorPart>(partName, ignoreCase: true);
        AnchorEntry entry = Assert.Single(Anchor(pattern));

        Assert.Equal(part, entry.Kind.Part);
        Assert.Equal(Encoding.UTF8.GetBytes(literal), entry.Bytes);
        Assert.Equal(part == AnchorPart.Whole ? 0 : entry.Bytes.Length, entry.Kind.Length);
        Assert.Equal(literal, entry.Literal);
    }

    [Fact]
    public void A_cut_inside_a_UTF8_character_keeps_the_bytes_and_says_so_in_its_text()
    {
        // 日本 is E6 97 A5 E6 9C AC: its first four bytes end inside 本.
        AnchorEntry prefix = Assert.Single(Anchor("\u65e5\u672c*"));
        AnchorEntry suffix = Assert.Single(Anchor("*\u00e9t\u00e9")); // C3 A9 74 C3 A9: the last four start inside the first é

        Assert.Equal(new byte[] { 0xE6, 0x97, 0xA5, 0xE6 }, prefix.Bytes);
        Assert.Equal("\\xE6\\x97\\xA5\\xE6", prefix.Literal);
        Assert.Equal(new byte[] { 0xA9, 0x74, 0xC3, 0xA9 }, suffix.Bytes);
        Assert.Equal(4, suffix.Kind.Length);
        Assert.Equal(0xA9C374A9u, AnchorText.Number(suffix.Bytes));
    }

    [Fact]
    public void Alternatives_that_cut_alike_are_filed_once()
    {
        AnchorEntry[] entries = Anchor("*.{config,xonfig,yml}");

        Assert.Equal(["nfig", ".yml"], entries.Select(e => e.Literal));
    }

    [Fact]
    public void A_whole_segment_still_beats_a_cut_suffix_and_a_suffix_of_four_beats_a_shorter_prefix()
    {
        Assert.Equal(AnchorPart.Whole, Assert.Single(Anchor("*.json/x")).Kind.Part);
        AnchorEntry entry = Assert.Single(Anchor("ab*.json"));
        Assert.Equal(AnchorPart.Suffix, entry.Kind.Part);
    }

    private static AnchorEntry[] Anchor(string pattern)
    {
        Assert.True(GlobParser.TryParse(pattern, out GlobPattern? parsed, out _));
        return PatternPlan.For(parsed!).Anchor!;
    }
}
