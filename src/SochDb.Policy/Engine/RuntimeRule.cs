using SochDb.Policy.Matching;
using SochDb.Policy.Matching.Planning;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Engine;

/// <summary>
/// A rule registered at run time: its description, its delegate, and its pattern planned once, at registration, by
/// the same planner the source generator uses (so a table rebuild only files rules, it never re-parses them).
/// </summary>
internal sealed class RuntimeRule
{
    public RuntimeRule(PolicyRuleInfo info, GlobMatcher matcher, PolicyHandler? handler, PolicyObserver? observer, long sequence)
    {
        Info = info;
        Matcher = matcher;
        Handler = handler;
        Observer = observer;
        Sequence = sequence;
        Plan = PatternPlan.For(matcher.Pattern);
        Test = new PatternTest(Plan, matcher);
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
