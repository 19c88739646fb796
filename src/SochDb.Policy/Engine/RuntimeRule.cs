using System.Collections.Generic;
using SochDb.Policy.Matching;
using SochDb.Policy.Matching.Planning;

namespace SochDb.Policy.Engine;

/// <summary>
/// A rule registered at run time: its description, its delegate, and its pattern planned once, at registration, by
/// the same planner the source generator uses (so a table rebuild only files rules, it never re-parses them).
/// </summary>
internal sealed class RuntimeRule
{
    public RuntimeRule(PolicyRuleInfo info, GlobMatcher matcher, PolicyHandler? handler, PolicyObserver? observer, long sequence,
        RulePlanner planner)
    {
        Info = info;
        Matcher = matcher;
        Handler = handler;
        Observer = observer;
        Sequence = sequence;
        (Plan, Test) = planner.Plan(matcher);
    }

    /// <summary>A rule on the same pattern as <paramref name="samePattern"/>, reusing its compiled matcher and plan (both immutable).</summary>
    public RuntimeRule(PolicyRuleInfo info, RuntimeRule samePattern, PolicyHandler? handler, PolicyObserver? observer, long sequence)
    {
        Info = info;
        Matcher = samePattern.Matcher;
        Handler = handler;
        Observer = observer;
        Sequence = sequence;
        Plan = samePattern.Plan;
        Test = samePattern.Test;
    }

    public PolicyRuleInfo Info { get; }

    public GlobMatcher Matcher { get; }

    /// <summary>Set for triggers that decide (Before*, AfterRead).</summary>
    public PolicyHandler? Handler { get; }

    /// <summary>Set for AfterWrite and AfterDelete.</summary>
    public PolicyObserver? Observer { get; }

    /// <summary>Registration order across the whole engine; dispatch runs matching rules in this order.</summary>
    public long Sequence { get; }

    /// <summary>Where the rule is filed in the dispatch tree, and how it is tested there.</summary>
    public PatternPlan Plan { get; }

    /// <summary>The test of the pattern at the node its literal path leads to.</summary>
    public PatternTest Test { get; }
}

/// <summary>
/// Plans the patterns of one registration: the part of a plan that depends only on the segments after a pattern's literal
/// path, and the test made of it, are worked out once per spelling and shared by every rule of the registration whose
/// pattern ends alike (<c>t1/users/*/email</c> and <c>t2/users/*/email</c>). Both are immutable.
/// </summary>
internal sealed class RulePlanner
{
    private readonly Dictionary<string, PatternTail> _tails = new(System.StringComparer.Ordinal);
    private readonly Dictionary<PatternTail, PatternTest> _tests = new();

    public (PatternPlan Plan, PatternTest Test) Plan(GlobMatcher matcher)
    {
        PatternPlan plan = PatternPlan.For(matcher.Pattern, _tails);
        if (plan.NeedsPatternMatcher)
        {
            return (plan, new PatternTest(plan, matcher)); // tests the whole pattern: its own matcher
        }

        if (!_tests.TryGetValue(plan.Tail, out PatternTest? test))
        {
            test = new PatternTest(plan, matcher);
            _tests.Add(plan.Tail, test);
        }

        return (plan, test);
    }
}
