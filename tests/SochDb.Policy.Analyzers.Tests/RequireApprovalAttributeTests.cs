using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>[RequireApproval] is checked like the other class-level rules: its trigger, its pattern, duplicates.</summary>
public sealed class RequireApprovalAttributeTests
{
    [Fact]
    public Task BeforeTriggersWithValidPatternsAreAccepted() =>
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
    public Task AnAfterTriggerCannotHoldAnOperationForApproval() =>
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
    public Task ABadPatternAndADuplicateAreReported() =>
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
