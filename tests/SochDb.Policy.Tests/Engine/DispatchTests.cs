using SochDb.Policy.Matching;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Tests.Engine;

/// <summary>The grouped run-time dispatch runs exactly the rules a naive scan of every pattern would, in registration order.</summary>
public sealed class DispatchTests
{
    private static readonly string[] Patterns =
    {
        "users/*", "users/**", "users/*/email", "*/alice", "**", "**/email", "users", "system/*", "system/**",
        "a/**/b", "a/b", "a/*", "*", "*.json", "config/*.{json,yaml}", "users/[a-c]*", "{users,system}/x",
        "u?ers/*", "a\\/b", "a+b", "logs/**", "", // the empty one is skipped below: it is invalid
    };

    private static readonly string[] KeySegments = { "users", "alice", "email", "system", "a", "b", "x", "config", "app.json", "uzers", "", "a+b", "logs" };

    [Fact]
    public void GroupedDispatchAgreesWithANaiveScan_OnRandomKeys()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store);
        var matchers = new List<(int Index, GlobMatcher Matcher)>();
        var ran = new List<int>();
        for (int i = 0; i < Patterns.Length; i++)
        {
            if (Patterns[i].Length == 0)
            {
                continue;
            }

            int index = i;
            engine.BeforeRead(Patterns[i], (in PolicyRequest _) => { ran.Add(index); return PolicyAction.Allow; });
            matchers.Add((i, GlobMatcher.Compile(Patterns[i])));
        }

        var random = new Random(20240611);
        for (int n = 0; n < 3_000; n++)
        {
            int segments = random.Next(1, 5);
            string key = string.Join('/', Enumerable.Range(0, segments).Select(_ => KeySegments[random.Next(KeySegments.Length)]));
            if (key.Length == 0)
            {
                continue;
            }

            ran.Clear();
            engine.Get(key);

            int[] expected = matchers.Where(m => m.Matcher.IsMatch(key)).Select(m => m.Index).ToArray();
            Assert.True(expected.SequenceEqual(ran), $"key \"{key}\": expected [{string.Join(",", expected)}], ran [{string.Join(",", ran)}]");
        }
    }
}
