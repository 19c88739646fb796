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
    public void PrefixAndSuffixAnchorsCompareAtMostFourBytes(string pattern, string partName, string literal)
    {
        AnchorPart part = Enum.Parse<AnchorPart>(partName, ignoreCase: true);
        AnchorEntry entry = Assert.Single(Anchor(pattern));

        Assert.Equal(part, entry.Kind.Part);
        Assert.Equal(Encoding.UTF8.GetBytes(literal), entry.Bytes);
        Assert.Equal(part == AnchorPart.Whole ? 0 : entry.Bytes.Length, entry.Kind.Length);
        Assert.Equal(literal, entry.Literal);
    }

    [Fact]
    public void ACutInsideAUTF8CharacterKeepsTheBytesAndSaysSoInItsText()
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
    public void AlternativesThatCutAlikeAreFiledOncePerCase()
    {
        AnchorEntry[] entries = Anchor("*.{config,xonfig,yml}");
        Assert.Equal(["nfig", "nfig", ".yml"], entries.Select(e => e.Literal));

        PlanNode<Planned> root = DispatchTree.Build(Rules("*.{config,xonfig,yml}", "*.a", "*.b", "*.c", "*.d"));

        AnchorCase<Planned> nfig = Assert.Single(root.Anchors.Single(g => g.Kind.Length == 4).Cases, c => c.Literal == "nfig");
        Assert.Single(nfig.Rules);
        Assert.Empty(nfig.Next);
    }

    [Fact]
    public void ACrowdedCaseFilesTheLongerLiteralsOneLevelDownByTheirNextBytes()
    {
        // 100 rules end in 'json' after a number; "plain.json" and "*json" end there; each key meets its own rule.
        var patterns = Enumerable.Range(0, 100).Select(i => "*-" + i + ".json").Append("*json").Append("*.yaml").ToArray();
        PlanNode<Planned> root = DispatchTree.Build(Rules(patterns));

        AnchorGroup<Planned> group = Assert.Single(root.Anchors);
        AnchorCase<Planned> json = Assert.Single(group.Cases, c => c.Literal == "json");
        Assert.Equal([100], json.Rules.Select(r => r.Order)); // '*json' ends at these four bytes: tested here
        Assert.Equal([3, 4], json.Next.Select(g => g.Kind.Length)); // "-7.", "-17.", "7.", "17.": 3 or 4 bytes before "json"
        Assert.All(json.Next, g => Assert.Equal(4, g.Offset));
        Assert.Contains(json.Next.SelectMany(g => g.Cases), c => c.Literal == "-7." && c.Rules.Single().Order == 7);
        Assert.True(group.MaxRules <= 4, "a key meets at most a few rules through the crowded case, not 100: " + group.MaxRules);
        Assert.True(root.Capacity <= 5, "capacity " + root.Capacity);
    }

    [Fact]
    public void ACrowdedPrefixCaseGoesOnFromTheFrontAndACaseOfFewRulesStaysFlat()
    {
        var patterns = Enumerable.Range(0, 20).Select(i => "report-" + i + "*").Append("repo*").ToArray();
        PlanNode<Planned> root = DispatchTree.Build(Rules(patterns));

        AnchorCase<Planned> repo = Assert.Single(Assert.Single(root.Anchors).Cases);
        Assert.Equal("repo", repo.Literal);
        Assert.Equal([20], repo.Rules.Select(r => r.Order));
        Assert.Contains(repo.Next.SelectMany(g => g.Cases), c => c.Literal == "rt-1");

        PlanNode<Planned> few = DispatchTree.Build(Rules("*-1.json", "*-2.json", "*-3.json", "*-4.json", "*.yaml"));
        AnchorCase<Planned> four = Assert.Single(Assert.Single(few.Anchors).Cases, c => c.Literal == "json");
        Assert.Equal(4, four.Rules.Count);
        Assert.Empty(four.Next);
    }

    [Fact]
    public void AWholeSegmentStillBeatsACutSuffixAndASuffixOfFourBeatsAShorterPrefix()
    {
        Assert.Equal(AnchorPart.Whole, Assert.Single(Anchor("*.json/x")).Kind.Part);
        AnchorEntry entry = Assert.Single(Anchor("ab*.json"));
        Assert.Equal(AnchorPart.Suffix, entry.Kind.Part);
    }

    private static List<Planned> Rules(params string[] patterns) =>
        patterns.Select((p, i) => new Planned(Plan(p), i)).ToList();

    private static PatternPlan Plan(string pattern)
    {
        Assert.True(GlobParser.TryParse(pattern, out GlobPattern? parsed, out _));
        return PatternPlan.For(parsed!);
    }

    internal sealed class Planned(PatternPlan pattern, int order) : IPlannedRule
    {
        public PatternPlan Pattern { get; } = pattern;

        public int Order { get; } = order;
    }

    private static AnchorEntry[] Anchor(string pattern)
    {
        Assert.True(GlobParser.TryParse(pattern, out GlobPattern? parsed, out _));
        return PatternPlan.For(parsed!).Anchor!;
    }
}
