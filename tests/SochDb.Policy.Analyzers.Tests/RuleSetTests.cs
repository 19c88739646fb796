using Microsoft.CodeAnalysis.Testing;
using SochDb.Policy.Analyzers.Tests.Infrastructure;
using SochDb.Policy.CodeFixes;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0014–SOCH0017: one class's rules analysed as a set, on the exact span of the pattern, and the near misses that must stay silent.</summary>
public sealed class RuleSetTests
{
    private static Task VerifyWithOpenParentAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new PolicyAnalyzerTest { TestCode = source };
        test.DisabledDiagnostics.Remove("SOCH0016");
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>Checks ID, severity and every location; the message only where a test says WithMessage.</summary>
    private static DiagnosticResult Finding(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor) => new(descriptor.Id, descriptor.DefaultSeverity);

    [Fact]
    public Task A_handler_behind_a_class_level_deny_never_runs() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeWrite, {|#1:"secrets/**"|})]
            public static partial class Policies
            {
                [BeforeWrite({|#0:"secrets/*/key"|})]
                static PolicyAction CheckKeys(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            Finding(DiagnosticDescriptors.UnreachableRule).WithLocation(0).WithLocation(1)
                .WithMessage("[BeforeWrite(\"secrets/*/key\")] on CheckKeys never runs: every key it matches is refused first by [DenyAll(PolicyTrigger.BeforeWrite, \"secrets/**\")]"));

    [Fact]
    public Task Handlers_whose_body_always_denies_are_unconditional() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite({|#1:"a/*"|})]
                static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;

                [BeforeWrite({|#3:"b/*"|})]
                static PolicyDecision Refuse(in PolicyRequest request)
                {
                    if (request.Key.IsEmpty)
                    {
                        throw new System.InvalidOperationException();
                    }

                    return PolicyDecision.Deny("never b");
                }

                [BeforeWrite({|#0:"a/x"|})]
                [BeforeWrite({|#2:"{a,b}/y"|})]
                static PolicyAction Later(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            Finding(DiagnosticDescriptors.UnreachableRule).WithLocation(0).WithLocation(1),
            Finding(DiagnosticDescriptors.UnreachableRule).WithLocation(2).WithLocation(1).WithLocation(3));

    [Fact]
    public Task Near_misses_report_nothing() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeWrite, "secrets/*")]
            [DenyAll(PolicyTrigger.BeforeDelete, "late/**", Order = 5)]
            public static partial class Policies
            {
                // Overlaps "secrets/*" without being included: still runs for secrets/a/b.
                [BeforeWrite("secrets/**")]
                static PolicyAction Deep(in PolicyRequest request) => PolicyAction.Allow;

                // A conditional denial refuses nothing for certain.
                [BeforeRead("vault/**")]
                static PolicyAction Admins(in PolicyRequest request) => request.Context.Has("admin") ? PolicyAction.Allow : PolicyAction.Deny;

                [BeforeRead("vault/*/key")]
                [BeforeDelete("late/x")]       // the denial runs after it (Order = 5)
                [BeforeWrite("other/*")]       // another trigger's denial does not count
                static PolicyAction Keys(in PolicyRequest request) => PolicyAction.Allow;

                // Deny on one path, allow on another: not unconditional.
                [BeforeWrite("mixed/*")]
                static PolicyAction Mixed(in PolicyRequest request)
                {
                    if (request.Key.Length > 3)
                    {
                        return PolicyAction.Allow;
                    }

                    return PolicyAction.Deny;
                }

                [BeforeWrite("mixed/a")]
                [BeforeWrite("other/{a,b}")]
                static PolicyAction AfterMixed(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task A_lower_order_runs_first_and_is_reachable() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeWrite, {|#1:"a/**"|}, Order = 1)]
            public static partial class Policies
            {
                [BeforeWrite("a/b", Order = 0)]
                [BeforeWrite({|#0:"a/c"|}, Order = 2)]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            Finding(DiagnosticDescriptors.UnreachableRule).WithLocation(0).WithLocation(1));

    [Fact]
    public Task Equivalent_patterns_on_one_handler_are_a_duplicate() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeDelete, {|#3:"k/{x,x}"|})]
            [DenyAll(PolicyTrigger.BeforeDelete, {|#2:"k/x"|})]
            public static partial class Policies
            {
                [BeforeRead({|#1:"logs/{a,b}"|})]
                [BeforeRead({|#0:"logs/[ab]"|})]
                [BeforeWrite("config/{app,db}")]
                [BeforeWrite("config/[ad]{pp,b}")]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;

                [BeforeRead("logs/a")]
                static PolicyAction Other(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            Finding(DiagnosticDescriptors.EquivalentRule).WithLocation(0).WithLocation(1)
                .WithMessage("[BeforeRead(\"logs/[ab]\")] on Check repeats [BeforeRead(\"logs/{a,b}\")] on Check: same trigger, same handler, and patterns that match exactly the same keys"),
            Finding(DiagnosticDescriptors.EquivalentRule).WithLocation(2).WithLocation(3));

    [Fact]
    public Task A_denial_below_an_unmatched_parent_leaves_it_open() =>
        VerifyWithOpenParentAsync(
            """
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeWrite, {|#0:"secrets/**"|})]
            [DenyAll(PolicyTrigger.BeforeWrite, "closed/**")]
            [DenyAll(PolicyTrigger.BeforeWrite, "closed")]
            public static partial class Policies
            {
                [BeforeRead({|#1:"vault/*"|})]
                static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;

                [BeforeRead("{vault,x}")]
                [BeforeRead("open/*")]                 // a conditional handler: not a denial
                static PolicyAction Check(in PolicyRequest request) => request.Context.Has("a") ? PolicyAction.Allow : PolicyAction.Deny;
            }
            """,
            Finding(DiagnosticDescriptors.OpenParent).WithLocation(0)
                .WithMessage("[DenyAll(PolicyTrigger.BeforeWrite, \"secrets/**\")] refuses keys under \"secrets/\" but not the key \"secrets\" itself, which no BeforeWrite rule matches"));

    [Fact]
    public Task Approvals_and_redactions_behind_a_deny_are_never_reached() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeRead, {|#1:"vault/**"|})]
            [Redact({|#0:"vault/*/ssn"|}, "***")]
            [Redact("users/*/ssn", "***")]
            [DenyAll(PolicyTrigger.BeforeWrite, {|#3:"payments/**"|})]
            [RequireApproval(PolicyTrigger.BeforeWrite, {|#2:"payments/big/*"|}, "a person decides")]
            public static partial class Policies
            {
                [AfterRead({|#4:"vault/*/email"|})]
                static PolicyDecision Mask(in PolicyRequest request) => request.Value.IsEmpty ? PolicyDecision.Allow : PolicyDecision.Modify(new byte[] { 42 });
            }
            """,
            Finding(DiagnosticDescriptors.NeverReached).WithLocation(0).WithLocation(1),
            Finding(DiagnosticDescriptors.NeverReached).WithLocation(2).WithLocation(3),
            Finding(DiagnosticDescriptors.NeverReached).WithLocation(4).WithLocation(1));

    [Fact]
    public Task The_fix_adds_a_rule_for_the_parent_key() =>
        new PolicyCodeFixTest<CoverParentKeyCodeFixProvider>
        {
            TestCode = """
                using SochDb.Policy;

                [DenyAll(PolicyTrigger.BeforeWrite, {|SOCH0016:"sec\\*rets/**"|}, Order = 2)]
                public static partial class Policies
                {
                    /// <summary>Blocks.</summary>
                    [BeforeRead({|SOCH0016:"a/b/*"|})]
                    static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
                }
                """,
            FixedCode = """
                using SochDb.Policy;

                [DenyAll(PolicyTrigger.BeforeWrite, "sec\\*rets/**", Order = 2)]
                [DenyAll(PolicyTrigger.BeforeWrite, "sec\\*rets", Order = 2)]
                public static partial class Policies
                {
                    /// <summary>Blocks.</summary>
                    [BeforeRead("a/b/*")]
                    [BeforeRead("a/b")]
                    static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
                }
                """,
            DisabledDiagnostics = { },
        }.RunWithOpenParentAsync();
}

internal static class OpenParentTestExtensions
{
    public static Task RunWithOpenParentAsync<TFix>(this PolicyCodeFixTest<TFix> test)
        where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
    {
        test.DisabledDiagnostics.Remove("SOCH0016");
        return test.RunAsync();
    }
}
