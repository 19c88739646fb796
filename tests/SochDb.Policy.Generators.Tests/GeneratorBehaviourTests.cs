using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using SochDb.Policy.Matching;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Generators.Tests;

/// <summary>What the generator emits, and what it silently leaves to the analyzers.</summary>
public class GeneratorBehaviourTests
{
    [Fact]
    public void InvalidHandlersAndPatternsAreLeftOutAndFailTheBuild()
    {
        const string source = """
            using System;
            using SochDb.Policy;

            public partial class Mixed
            {
                [BeforeWrite("ok/*")] static PolicyAction Good(in PolicyRequest r) => PolicyAction.Allow;
                [BeforeWrite("a/*")] PolicyAction NotStatic(in PolicyRequest r) => PolicyAction.Allow;
                [BeforeWrite("b/*")] static PolicyAction Generic<T>(in PolicyRequest r) => PolicyAction.Allow;
                [BeforeWrite("d/*")] static PolicyAction TwoParameters(in PolicyRequest r, int x) => PolicyAction.Allow;
                [BeforeWrite("e/*")] static PolicyAction RefParameter(ref PolicyRequest r) => PolicyAction.Allow;
                [BeforeRead("f/*")] static PolicyDecision DecisionOnBeforeRead(in PolicyRequest r) => PolicyDecision.Allow;
                [AfterWrite("g/*")] static PolicyAction ActionOnAfterWrite(in PolicyRequest r) => PolicyAction.Allow;
                [BeforeWrite("h/*")] static void VoidOnBeforeWrite(in PolicyRequest r) { }
                [BeforeWrite("i/*")] static bool WrongReturn(in PolicyRequest r) => true;
                [BeforeWrite("bad/[z-a]")] static PolicyAction BadGlob(in PolicyRequest r) => PolicyAction.Allow;
                [BeforeWrite("a**")] static PolicyAction BadDoubleStar(in PolicyRequest r) => PolicyAction.Allow;
                [AfterDelete("seed/*")] static void Seed(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context) { }
            }

            public class NotPartial
            {
                [BeforeWrite("x/*")] static PolicyAction Handler(in PolicyRequest r) => PolicyAction.Allow;
            }

            public partial class Generic<T>
            {
                [BeforeWrite("x/*")] static PolicyAction Handler(in PolicyRequest r) => PolicyAction.Allow;
            }

            public class Outer
            {
                public partial class InsideNonPartial
                {
                    [BeforeWrite("x/*")] static PolicyAction Handler(in PolicyRequest r) => PolicyAction.Allow;
                }
            }

            public partial class OnlyBad
            {
                [BeforeWrite("")] static PolicyAction Empty(in PolicyRequest r) => PolicyAction.Allow;
            }
            """;
        (GeneratorResult result, string[] errors, ImmutableArray<Diagnostic> reported) = GeneratorHarness.RunWithInvalidRules(source);
        Assert.Equal([PolicyAttributesSource.HintName, "Mixed.Policies.g.cs", RejectionEmitter.HintName], result.Sources.Select(s => s.HintName));
        CompiledPolicySet set = GeneratorHarness.CompiledSet(GeneratorHarness.Load(result.Output), "Mixed");
        Assert.Equal(["Mixed.Good", "Mixed.Seed"], set.Rules.Select(r => r.HandlerName));

        // Left out of the dispatch, never silently: each one is an #error naming it...
        string[] leftOut =
        [
            "Mixed.NotStatic", "Mixed.Generic", "Mixed.TwoParameters", "Mixed.RefParameter", "Mixed.DecisionOnBeforeRead",
            "Mixed.ActionOnAfterWrite", "Mixed.VoidOnBeforeWrite", "Mixed.WrongReturn",
            "NotPartial.Handler", "Generic<T>.Handler", "Outer.InsideNonPartial.Handler",
        ];
        Assert.Equal(leftOut.Length, errors.Length);
        foreach (string handler in leftOut)
        {
            Assert.Single(errors, e => e.Contains(" on " + handler + " is not compiled: ", StringComparison.Ordinal));
        }

        // ...or, for an invalid pattern, the generator's own SOCH0001 on it, which no setting can silence.
        Assert.Equal(["", "a**", "bad/[z-a]"], reported.Select(d => d.GetMessage().Split('"')[1]).Order(StringComparer.Ordinal));
        Assert.All(reported, d => Assert.Equal(("SOCH0001", DiagnosticSeverity.Error, true), (d.Id, d.Severity, d.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.NotConfigurable))));
    }

    [Fact]
    public void HandlerAttributesOnLocalFunctionsAreLeftOutAndFailTheBuild()
    {
        // The analyzers report these as SOCH0012; the generator sees only the methods a type declares.
        const string source = """
            using SochDb.Policy;

            public static partial class WithLocal
            {
                [BeforeWrite("ok/*")] static PolicyAction Member(in PolicyRequest r) => PolicyAction.Allow;

                public static void Register()
                {
                    [BeforeWrite("local/*")] static PolicyAction Local(in PolicyRequest r) => PolicyAction.Deny;
                    _ = Local(default);
                }
            }

            public static partial class OnlyLocal
            {
                public static void Register()
                {
                    [BeforeRead("local/*")] static PolicyAction Local(in PolicyRequest r) => PolicyAction.Deny;
                    _ = Local(default);
                }
            }
            """;
        (GeneratorResult result, string[] errors) = GeneratorHarness.RunWithRejections(source);
        Assert.Equal([PolicyAttributesSource.HintName, "WithLocal.Policies.g.cs", RejectionEmitter.HintName], result.Sources.Select(s => s.HintName));
        CompiledPolicySet set = GeneratorHarness.CompiledSet(GeneratorHarness.Load(result.Output), "WithLocal");
        Assert.Equal(["WithLocal.Member"], set.Rules.Select(r => r.HandlerName));

        // Never called, so never silently accepted either: each local function's attribute is an #error.
        Assert.Equal(2, errors.Length);
        Assert.All(errors, e => Assert.Contains("the local function 'Local'", e));
        Assert.All(errors, e => Assert.EndsWith("(SOCH0012)", e));
    }

    [Fact]
    public void PartialDeclarationsStructsAndRecordsAreSupportedAndOrderedByDeclaration()
    {
        const string first = """
            using SochDb.Policy;
            namespace N;
            [DenyAll(PolicyTrigger.BeforeDelete, "locked/*")]
            public partial class Split
            {
                [BeforeWrite("k")] static PolicyAction One(in PolicyRequest r) => PolicyAction.Allow;
                [BeforeWrite("k", Order = -5)] [BeforeWrite("k")] static PolicyAction Two(in PolicyRequest r) => PolicyAction.Allow;
            }
            public partial struct Value { [BeforeRead("v")] static PolicyAction Read(in PolicyRequest r) => PolicyAction.Allow; }
            public partial record Rec { [BeforeRead("r")] static PolicyAction Read(in PolicyRequest r) => PolicyAction.Allow; }
            public partial record struct RecStruct { [BeforeRead("r")] static PolicyAction Read(in PolicyRequest r) => PolicyAction.Allow; }
            """;
        const string second = """
            using SochDb.Policy;
            namespace N;
            [RequireAgentId(PolicyTrigger.BeforeWrite, "k")]
            public partial class Split
            {
                [BeforeWrite("k")] static PolicyAction Three(in PolicyRequest r) => PolicyAction.Allow;
            }
            """;
        GeneratorResult result = GeneratorHarness.Run(first, second);
        Assembly assembly = GeneratorHarness.Load(result.Output);
        CompiledPolicySet split = GeneratorHarness.CompiledSet(assembly, "N.Split");
        Assert.Equal(
            ["Split.Two@-5", "[DenyAll]@0", "[RequireAgentId]@0", "Split.One@0", "Split.Two@0", "Split.Three@0"],
            split.Rules.Select(r => r.HandlerName + "@" + r.Order));
        Assert.Equal("N.Split", split.Name);
        foreach (string type in new[] { "N.Value", "N.Rec", "N.RecStruct" })
        {
            Assert.Single(GeneratorHarness.CompiledSet(assembly, type).Rules);
        }
    }

    [Fact]
    public void PatternsThatNeedEscapingCompileAndMatchLikeTheRuntime()
    {
        string[] patterns = ["quo\"te/*", "back\\\\slash/*", "line\u2028sep/*", "\u00e9t\u00e9/{a,\u00fc}*", "emoji\U0001F600/[!a]", "star\\*/x", "*/\\{b\\}"];
        var source = new StringBuilder("using SochDb.Policy;\npublic static partial class Escapes\n{\n");
        source.Append("    public static readonly System.Collections.Generic.List<int> Calls = new();\n");
        for (int i = 0; i < patterns.Length; i++)
        {
            string literal = Differential.RandomPolicyModel.Quote(patterns[i]);
            source.Append($"    [BeforeWrite({literal})] static PolicyAction H{i}(in PolicyRequest r) {{ Calls.Add({i}); return PolicyAction.Allow; }}\n");
        }

        GeneratorResult result = GeneratorHarness.Run(source.Append("}\n").ToString());
        Assembly assembly = GeneratorHarness.Load(result.Output);
        CompiledPolicySet set = GeneratorHarness.CompiledSet(assembly, "Escapes");
        var calls = (List<int>)assembly.GetType("Escapes")!.GetField("Calls")!.GetValue(null)!;
        string[] keys =
        [
            "quo\"te/x", "back\\slash/y", "line\u2028sep/z", "\u00e9t\u00e9/\u00fcber", "\u00e9t\u00e9/a", "emoji\U0001F600/\U0001F600",
            "emoji\U0001F600/a", "star*/x", "starx/x", "q/{b}", "q/b",
        ];
        foreach (string key in keys)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(key);
            int[] expected = Enumerable.Range(0, patterns.Length).Where(i => GlobMatcher.Compile(patterns[i]).IsMatch(bytes)).ToArray();
            calls.Clear();
            var evaluation = new PolicyEvaluation(PolicyTrigger.BeforeWrite, bytes, default, null);
            set.Evaluate(ref evaluation);
            Assert.True(expected.SequenceEqual(calls), $"{key}: expected [{string.Join(",", expected)}], got [{string.Join(",", calls)}]");
        }

        Assert.Contains(keys, k => GlobMatcher.Compile(patterns[4]).IsMatch(k)); // the keys do exercise matches
    }
}
