using System.Reflection;
using System.Text;
using Xunit.Abstractions;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Generators.Tests.Differential;

/// <summary>
/// Random rule sets are generated as C#, compiled with the generator, loaded, and evaluated on thousands of
/// random keys (empty segments, non-UTF-8 bytes) next to the reference path: same decision, same handler
/// calls in the same order, same final value, same culprit when a handler throws.
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    private static readonly byte[][] KeySegments =
    [
        "a"u8.ToArray(), "b"u8.ToArray(), "ab"u8.ToArray(), "ba"u8.ToArray(), "abc"u8.ToArray(), [], "\u00e9"u8.ToArray(),
        "x.json"u8.ToArray(), "x.yaml"u8.ToArray(), "a+b"u8.ToArray(), "*"u8.ToArray(), "aab"u8.ToArray(), "a.b"u8.ToArray(),
        [0xFF], [0xC3], [0xE9], [0x61, 0xFF, 0x62], [0xC3, 0xA9, 0x62], "b.json"u8.ToArray(), "x"u8.ToArray(),
    ];

    private static readonly PolicyContext[] Contexts =
    [
        PolicyContext.Empty,
        new PolicyContext { AgentId = "" },
        new PolicyContext { AgentId = "agent-1", SessionId = "s" },
    ];

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void GeneratedDispatchAgreesWithTheReferencePath(int seed)
    {
        var random = new Random(seed);
        var model = new RandomPolicyModel(random);
        var classes = new List<ClassModel>();
        for (int i = 0; i < 6; i++)
        {
            classes.Add(model.Class("Set" + i, random.Next(1, 30)));
        }

        // Over 64 rules on one trigger: more rules than one method tests at one node.
        classes.Add(model.Class("Wide", 90, [PolicyTrigger.BeforeWrite, PolicyTrigger.AfterRead]));
        Check(classes, random, KeySegments, seed);
    }

    /// <summary>
    /// Sets big enough that the generated code splits: over 64 literal children of one node (split by length and by
    /// byte), over 32 rules at one node (tested in parts, collected and run directly), over 64 collected rules (a rule
    /// switch in chunks). Keys are drawn from the same literals, so they walk deep into the trie.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void LargeSetsSplitIntoSmallMethodsAgreeWithTheReferencePath(int seed)
    {
        var random = new Random(seed);
        string[] tenants = [.. Enumerable.Range(0, 150).Select(i => i < 80 ? $"tenant{i:D3}" : $"t{i}"), .. RandomPolicyModel.LiteralSegments];
        var deep = new RandomPolicyModel(random, tenants);
        var flat = new RandomPolicyModel(random, [], maxSegments: 1);
        var classes = new List<ClassModel>
        {
            deep.Class("Big", 500, [PolicyTrigger.BeforeWrite, PolicyTrigger.AfterRead]),
            flat.Class("Flat", 120, [PolicyTrigger.BeforeRead, PolicyTrigger.AfterWrite]),
        };
        Check(classes, random, [.. KeySegments, .. tenants.Select(t => Encoding.UTF8.GetBytes(t)), .. tenants.Select(t => Encoding.UTF8.GetBytes(t))], seed);
    }

    /// <summary>
    /// Rule sets dominated by wildcard-first shapes: most rules are found through anchors (what a segment must be,
    /// end or start with, counted from the front or from the end), at the root and under literal prefixes.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void WildcardFirstSetsFoundThroughAnchorsAgreeWithTheReferencePath(int seed)
    {
        var random = new Random(seed);
        var model = new RandomPolicyModel(random, ["a", "b", "k", "x.json"], wildcardFirst: true);
        var classes = new List<ClassModel>
        {
            model.Class("Anchored", 60, [PolicyTrigger.BeforeWrite, PolicyTrigger.AfterRead]),
            model.Class("AnchoredWide", 200, [PolicyTrigger.BeforeRead]),
            model.Class("AnchoredSmall", 8),
        };
        byte[][] segments = [.. KeySegments, .. RandomPolicyModel.AnchorKeySegments.Select(s => Encoding.UTF8.GetBytes(s))];
        Check(classes, random, segments, seed);
    }

    private void Check(List<ClassModel> classes, Random random, byte[][] keySegments, int seed)
    {
        string source = RandomPolicyModel.Source(classes);
        GeneratorResult result = GeneratorHarness.Run(source);
        Assembly assembly = GeneratorHarness.Load(result.Output);
        int evaluations = 0;
        foreach (ClassModel cls in classes)
        {
            Type type = assembly.GetType("Differential." + cls.Name)!;
            CompiledPolicySet set = GeneratorHarness.CompiledSet(assembly, type.FullName!);
            var calls = (List<int>)type.GetField("Calls")!.GetValue(null)!;
            List<ExpectedRule> expected = RulesOracle.DispatchOrder(cls);

            Assert.Equal("Differential." + cls.Name, set.Name);
            Assert.Equal(
                expected.Select(r => r.Info + "@" + r.Info.Order),
                set.Rules.Select(r => r + "@" + r.Order));
            Assert.Equal(
                cls.RateLimits.Select(l => $"{(PolicyOperation)l.Operation} {l.Max}/min per {l.Scope}"),
                set.RateLimits.Select(l => l.ToString()));
            foreach (PolicyTrigger trigger in Enum.GetValues<PolicyTrigger>())
            {
                Assert.Equal(expected.Any(r => r.Info.Trigger == trigger), set.Handles(trigger));
            }

            for (int k = 0; k < 500; k++)
            {
                byte[] key = RandomKey(random, keySegments);
                byte[] value = RandomValue(random);
                PolicyContext context = Contexts[random.Next(Contexts.Length)];
                foreach (PolicyTrigger trigger in Enum.GetValues<PolicyTrigger>())
                {
                    Outcome want = RulesOracle.Evaluate(expected, trigger, key, value, context);
                    Outcome got = EvaluateGenerated(set, calls, trigger, key, value, context);
                    if (want != got)
                    {
                        Assert.Fail($"{cls.Name} {trigger} key={Convert.ToHexString(key)} ({Encoding.UTF8.GetString(key)}) agent={context.AgentId ?? "null"}\n"
                            + $"expected: {want.Text}\nactual:   {got.Text}\nrules:\n{string.Join("\n", expected.Select(r => "  " + r.Info))}");
                    }

                    evaluations++;
                }
            }
        }

        output.WriteLine($"seed {seed}: {classes.Sum(c => RulesOracle.DispatchOrder(c).Count)} rules in {classes.Count} classes, {evaluations} evaluations agree");
    }

    private static Outcome EvaluateGenerated(CompiledPolicySet set, List<int> calls, PolicyTrigger trigger, byte[] key, byte[] value, PolicyContext context)
    {
        calls.Clear();
        var evaluation = new PolicyEvaluation(trigger, key, value, context);
        string? failure = null;
        try
        {
            set.Evaluate(ref evaluation);
        }
        catch (InvalidOperationException exception)
        {
            failure = exception.Message;
        }

        return RulesOracle.Describe(ref evaluation, failure, [.. calls]);
    }

    private static byte[] RandomKey(Random random, byte[][] segments)
    {
        if (random.Next(40) == 0)
        {
            return [];
        }

        int count = random.Next(1, 6);
        var key = new List<byte>();
        for (int i = 0; i < count; i++)
        {
            if (i > 0)
            {
                key.Add((byte)'/');
            }

            key.AddRange(segments[random.Next(segments.Length)]);
        }

        return [.. key];
    }

    private static byte[] RandomValue(Random random)
    {
        byte[] value = new byte[random.Next(0, 4)];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)random.Next(0, 7);
        }

        return value;
    }
}
