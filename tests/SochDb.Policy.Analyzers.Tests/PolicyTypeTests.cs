using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0006, SOCH0007: the type holding rules must be a partial, non-generic class or struct, in partial types.</summary>
public sealed class PolicyTypeTests
{
    [Fact]
    public Task TypeWithoutPartialIsReportedOnItsName() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            public static class {|#0:Policies|}
            {
                [BeforeWrite("a/*")]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.TypeNotPartial).WithLocation(0).WithLocation(0).WithArguments("Policies", "'Policies'"));

    [Fact]
    public Task ContainingTypeWithoutPartialIsListedAsAnAdditionalLocation() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            public static class {|#1:Outer|}
            {
                public static partial class {|#0:Inner|}
                {
                    [AfterWrite("a/*")]
                    static void Log(in PolicyRequest request) { }
                }
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.TypeNotPartial).WithLocation(0).WithLocation(1).WithArguments("Outer.Inner", "'Outer'"));

    [Fact]
    public Task ClassLevelRulesAloneMakeATypeHoldRules() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [RateLimit(PolicyOperation.Write, 60)]
            public sealed class {|#0:Limits|}
            {
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.TypeNotPartial).WithLocation(0).WithLocation(0).WithArguments("Limits", "'Limits'"));

    [Fact]
    public Task PartialStructAndRecordHoldRules() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            public partial struct StructPolicies
            {
                [BeforeWrite("a/*")]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }

            public static partial class Outer
            {
                internal partial record RecordPolicies
                {
                    [BeforeRead("a/*")]
                    static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                }
            }
            """);

    [Fact]
    public Task GenericTypeIsReported() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            public static partial class {|#0:Policies|}<T>
            {
                [BeforeWrite("a/*")]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.UnsupportedContainingType).WithLocation(0).WithArguments("Policies<T>", "it is generic"));

    [Fact]
    public Task TypeNestedInAGenericTypeIsReported() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            public partial class Outer<T>
            {
                public static partial class {|#0:Policies|}
                {
                    [BeforeWrite("a/*")]
                    static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                }
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.UnsupportedContainingType).WithLocation(0)
                .WithArguments("Outer<T>.Policies", "it is nested in the generic type 'Outer<T>'"));

    [Fact]
    public Task InterfaceIsReported() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            public partial interface {|SOCH0007:IPolicies|}
            {
                [BeforeWrite("a/*")]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task GenericAndNotPartialAreBothReported() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            public static class {|#0:Policies|}<T>
            {
                [BeforeWrite("a/*")]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.TypeNotPartial).WithLocation(0).WithLocation(0).WithArguments("Policies<T>", "'Policies<T>'"),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.UnsupportedContainingType).WithLocation(0).WithArguments("Policies<T>", "it is generic"));

    [Fact]
    public Task TypesWithoutRulesAreIgnored() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            public static class Plain<T>
            {
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);
}
