using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>[RequireApproval] is checked like the other class-level rules: its trigger, its pattern, duplicates.</summary>
public sealed class RequireApprovalAttributeTests
{
    [Fact]
    public Task Before_triggers_with_valid_patterns_are_accepted() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            [RequireApproval(PolicyTrigger.BeforeWrite, "shared/**", "the team sees it")]
            [RequireApproval(PolicyTrigger.BeforeRead, "vault/*", "reads are reviewed", Order = 2)]
            [RequireApproval(PolicyTrigger.BeforeDelete, "shared/**", "deletes are reviewed")]
            public static partial class Policies
            {
            }
            """);

    [Fact]
    public Task An_after_trigger_cannot_hold_an_operation_for_approval() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [RequireApproval({|#0:PolicyTrigger.AfterRead|}, "a/*", "too late")]
            [RequireApproval({|SOCH0011:PolicyTrigger.AfterWrite|}, "a/*", "too late")]
            public static partial class Policies
            {
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuleTrigger).WithLocation(0)
                .WithMessage("[RequireApproval] on AfterRead can never take effect: AfterRead rules run after the operation and cannot hold it for approval; use BeforeWrite, BeforeRead or BeforeDelete"));

    [Fact]
    public Task A_bad_pattern_and_a_duplicate_are_reported() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            [RequireApproval(PolicyTrigger.BeforeWrite, "shared/{|SOCH0001:[|}", "why")]
            [RequireApproval(PolicyTrigger.BeforeWrite, "notes/*", "why")]
            [{|SOCH0008:RequireApproval(PolicyTrigger.BeforeWrite, "notes/*", "why")|}]
            public static partial class Policies
            {
            }
            """);
}
