using System.Text;
using SochDb.Policy.Engine;
using SochDb.Policy.Matching;

namespace SochDb.Policy.Tests.Engine;

/// <summary>
/// The run-time rule table: built from a whole list or one rule at a time, with rules removed by identity, it runs
/// exactly the rules whose pattern matches, in registration order (checked against <see cref="GlobMatcher"/> rule by rule).
/// </summary>
public sealed class RuleTableTests
{
    private static readonly string[] Names = ["json", "yaml", "x1", "k", "ab", "é", ""];

    private static readonly string[] Shapes =
        ["*.{0}", "*-{0}", "{0}*", "*/{0}/*", "**/{0}", "**/*.{0}", "{{a,b}}{0}/*", "[a-c]{0}*", "t/*.{0}", "t/{0}/**", "*", "**", "t/**", "?{0}/**/{0}"];

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ATableBuiltFromAListRunsTheMatchingRulesInRegistrationOrder(int seed)
    {
        var random = new Random(seed);
        var calls = new List<int>();
        List<RuntimeRule> rules = RandomRules(random, 300, calls);

        RuleTable built = RuleTable.Build(rules.OrderBy(_ => random.Next()));
        RuleTable incremental = RuleTable.Empty;
        foreach (RuntimeRule rule in rules)
        {
            incremental = incremental.Replace([], [rule], out _);
        }

        Assert.Equal(rules.Count, built.Count);
        for (int i = 0; i < 3000; i++)
        {
            byte[] key = RandomKey(random);
            int[] expected = rules.Where(r => r.Matcher.IsMatch(key)).Select(r => (int)r.Sequence).ToArray();
            Assert.Equal(expected, Run(built, key, calls));
            Assert.Equal(expected, Run(incremental, key, calls));
        }
    }

    [Fact]
    public void ReplaceRemovesOneRuleByIdentityAndKeepsTheOrderOfTheRest()
    {
        var calls = new List<int>();
        var first = Rule("*.json", 0, calls);
        var twin = Rule("*.json", 1, calls);
        var other = Rule("**/x.json", 2, calls);
        RuleTable table = RuleTable.Build([first, twin, other]);

        RuleTable without = table.Replace([twin], [], out _);

        Assert.Equal([0, 1], Run(table, "x.json"u8.ToArray(), calls)[..2]);
        Assert.Equal([0, 2], Run(without, "x.json"u8.ToArray(), calls));
        Assert.Equal(2, without.Count);
        Assert.Same(without, without.Replace([twin], [], out int builds));
        Assert.Equal(0, builds);
        Assert.Equal(0, without.Replace([first, other], [], out _).Count);
        Assert.Equal(0, without.Replace([first, other], [], out _).TriggerMask);
    }

    [Fact]
    public void ManyWildcardFirstRulesAreFiledByAnchorAndStillAllFound()
    {
        // 1,000 '*.extN' rules: each key meets the one rule of its suffix, never a scan of the thousand.
        var calls = new List<int>();
        var rules = Enumerable.Range(0, 1000).Select(i => Rule("*.ext" + i, i, calls)).ToList();
        rules.Add(Rule("**/secret", 1000, calls));
        RuleTable table = RuleTable.Build(rules);

        Assert.Equal([417], Run(table, "report.ext417"u8.ToArray(), calls));
        Assert.Equal([], Run(table, "dir/report.ext417"u8.ToArray(), calls));
        Assert.Equal([1000], Run(table, "a/b/secret"u8.ToArray(), calls));
        Assert.Equal([], Run(table, "report.ext1000"u8.ToArray(), calls));
    }

    [Fact]
    public void RulesFoundThroughACutAnchorAreStillTestedInFull()
    {
        // Prefix and suffix anchors compare at most four bytes: '*.config' and '*Xonfig' share a case ("nfig"), so
        // does '日本*' (cut inside its second character) with '日\u672d*'; '*.k' keeps its own two bytes.
        string[] patterns = ["*.config", "*Xonfig", "\u65e5\u672c*", "\u65e5\u672d*", "*.k", "*\u00e9t\u00e9", "*s\u00e9t\u00e9", "draft7-*", "**/*.config"];
        var calls = new List<int>();
        List<RuntimeRule> rules = patterns.Select((p, i) => Rule(p, i, calls)).ToList();
        rules.AddRange(Enumerable.Range(0, 40).Select(i => Rule("*.ext" + i, 100 + i, calls))); // enough to anchor
        RuleTable table = RuleTable.Build(rules);

        string[] keys =
        [
            "a.config", "aXonfig", "config", "nfig", "fig", "Zonfig", "a/b.config", "\u65e5\u672c", "\u65e5\u672cx", "\u65e5\u672d",
            "\u65e5", "\u65e5\u672c/x", "x.k", ".k", "k", "\u00e9t\u00e9", "s\u00e9t\u00e9", "t\u00e9", "draft7-", "draft7", "draft", "draft8-x",
            "a.ext7", "ext7", "",
        ];
        foreach (string text in keys)
        {
            byte[] key = Encoding.UTF8.GetBytes(text);
            int[] expected = rules.Where(r => r.Matcher.IsMatch(key)).Select(r => (int)r.Sequence).ToArray();
            Assert.Equal(expected, Run(table, key, calls));
        }

        Assert.Equal([0, 8], Run(table, "a.config"u8.ToArray(), calls));
        Assert.Equal([2], Run(table, Encoding.UTF8.GetBytes("\u65e5\u672cx"), calls));
    }

    [Fact]
    public void RulesCrowdedUnderOneCutAnchorAreToldApartByTheirNextBytes()
    {
        // 300 rules end in '.json' after a number (all share "json"), some in '.config' after one: each key still meets
        // exactly its rules, through the level below the crowded case.
        var calls = new List<int>();
        var rules = Enumerable.Range(0, 300).Select(i => Rule("*-" + i + ".json", i, calls)).ToList();
        rules.AddRange(Enumerable.Range(0, 30).Select(i => Rule("config" + i + "-*", 300 + i, calls)));
        rules.Add(Rule("*json", 330, calls));
        rules.Add(Rule("*n", 331, calls));
        RuleTable table = RuleTable.Build(rules);

        string[] keys = ["a-17.json", "-17.json", "17.json", "a-7.json", "json", "x.json", "a-299.json", "a-300.json", "config7-x", "config17-", "config7", "confi", "n", ""];
        foreach (string text in keys)
        {
            byte[] key = Encoding.UTF8.GetBytes(text);
            int[] expected = rules.Where(r => r.Matcher.IsMatch(key)).Select(r => (int)r.Sequence).ToArray();
            Assert.Equal(expected, Run(table, key, calls));
        }

        Assert.Equal([17, 330, 331], Run(table, "a-17.json"u8.ToArray(), calls));
    }

    private static int[] Run(RuleTable table, byte[] key, List<int> calls)
    {
        calls.Clear();
        var evaluation = new PolicyEvaluation(PolicyTrigger.BeforeWrite, key, default, PolicyContext.Empty);
        TriggerRules rules = table[PolicyTrigger.BeforeWrite];
        if (!rules.IsEmpty)
        {
            rules.Evaluate(ref evaluation);
        }

        return [.. calls];
    }

    private static RuntimeRule Rule(string pattern, int sequence, List<int> calls, RulePlanner? planner = null) =>
        new(new PolicyRuleInfo(PolicyTrigger.BeforeWrite, pattern, "r" + sequence), GlobMatcher.Compile(pattern),
            (in PolicyRequest _) =>
            {
                calls.Add(sequence);
                return PolicyDecision.Allow;
            },
            null, sequence, planner ?? new RulePlanner());

    // One planner for the list, as one registration has: rules whose patterns end alike share their plan's tail.
    private static List<RuntimeRule> RandomRules(Random random, int count, List<int> calls, RulePlanner? planner = null) =>
        Enumerable.Range(0, count)
            .Select(i => Rule(string.Format(Shapes[random.Next(Shapes.Length)], Names[random.Next(Names.Length)]), i, calls,
                planner ??= new RulePlanner()))
            .ToList();

    private static byte[] RandomKey(Random random)
    {
        string[] segments = [.. Names.SelectMany(n => new[] { n, "a." + n, "-" + n, "a" + n, "c" + n + "z", n + "q" }), "t", "a", "b"];
        int count = random.Next(1, 5);
        var key = string.Join("/", Enumerable.Range(0, count).Select(_ => segments[random.Next(segments.Length)]));
        return key.Length == 0 ? "t"u8.ToArray() : Encoding.UTF8.GetBytes(key);
    }
}
