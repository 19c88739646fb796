using SochDb.Policy.CompilerServices;
using SochDb.Policy.Engine;
using SochDb.Policy.Glob;
using SochDb.Policy.Matching;
using SochDb.Policy.Matching.Planning;

namespace SochDb.Policy.Tests.Matching;

/// <summary>
/// One registration plans the segments after each pattern's literal path once per spelling: patterns that end alike share
/// that part of the plan and its test, patterns that do not are never confused, and every shared plan still matches
/// exactly what the pattern matches.
/// </summary>
public sealed class PlanSharingTests
{
    [Fact]
    public void PatternsEndingAlikeUnderDifferentPathsShareTheirTailAndTest()
    {
        var planner = new RulePlanner();

        (PatternPlan first, PatternTest firstTest) = planner.Plan(GlobMatcher.Compile("t1/users/*/email"));
        (PatternPlan second, PatternTest secondTest) = planner.Plan(GlobMatcher.Compile("t2/users/*/email"));

        Assert.Same(first.Tail, second.Tail);
        Assert.Same(firstTest, secondTest);
        Assert.Equal(["t1", "users"], Assert.Single(first.Paths));
        Assert.Equal(["t2", "users"], Assert.Single(second.Paths));
    }

    [Theory]
    [InlineData("*/1:b1:c", "*/b/c")]      // a segment spelled like a list of two
    [InlineData("*", "*/*")]
    [InlineData("a/*/x", "a/*x")]
    [InlineData("a/**", "a/*")]
    [InlineData("a/*.json", "a/*.yaml")]
    public void PatternsEndingDifferentlyDoNotShare(string one, string other)
    {
        var planner = new RulePlanner();

        PatternPlan first = planner.Plan(GlobMatcher.Compile(one)).Plan;
        PatternPlan second = planner.Plan(GlobMatcher.Compile(other)).Plan;

        Assert.NotSame(first.Tail, second.Tail);
    }

    [Fact]
    public void PatternsTestedWholeKeepTheirOwnMatcher()
    {
        var planner = new RulePlanner();

        PatternTest first = planner.Plan(GlobMatcher.Compile("a/**/secret")).Test;
        PatternTest second = planner.Plan(GlobMatcher.Compile("b/**/secret")).Test;

        Assert.NotSame(first, second);
        Assert.True(first.IsMatch("a/x/y/secret"u8, 1, atRoot: false));
        Assert.False(second.IsMatch("a/x/y/secret"u8, 1, atRoot: false));
    }

    [Theory]
    [InlineData("t1/users/*/email", "t2/users/*/email", "t2/users/bob/email", true)]
    [InlineData("t1/users/*/email", "t2/users/*/email", "t2/users/bob/phone", false)]
    [InlineData("t1/config/*.{json,yaml}", "t2/config/*.{json,yaml}", "t2/config/app.yaml", true)]
    [InlineData("t1/logs/**", "t2/logs/**", "t2/logs", false)]
    [InlineData("t1/logs/**", "t2/logs/**", "t2/logs/a/b", true)]
    public void ASharedPlanMatchesWhatThePatternMatches(string planFirst, string pattern, string key, bool matches)
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store);
        engine.RegisterRules(
        [
            new PolicyRuleInfo(PolicyTrigger.BeforeWrite, planFirst, Policies.AllowAll),
            new PolicyRuleInfo(PolicyTrigger.BeforeWrite, pattern, Policies.DenyAll),
        ]);

        Assert.Equal(GlobMatcher.Compile(pattern).IsMatch(key), matches);
        if (matches)
        {
            Assert.Throws<PolicyViolationException>(() => engine.Put(key, "v"));
        }
        else
        {
            engine.Put(key, "v");
        }
    }
}
