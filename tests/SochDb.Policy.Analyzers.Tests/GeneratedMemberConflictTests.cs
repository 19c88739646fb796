using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>
/// SOCH0013: a type holding policy rules must not already have a member named like one the generator adds
/// (<c>Compiled</c>, <c>CompiledPolicies</c>); otherwise the user would get CS0102 inside the generated file.
/// </summary>
public sealed class GeneratedMemberConflictTests
{
    private const string Rule = """
            [BeforeWrite("system/*")]
            static PolicyAction Block(in PolicyRequest request) => PolicyAction.Deny;
        """;

    [Fact]
    public Task DeclaredCompiledPropertyIsReportedOnItsName() =>
        PolicyAnalyzerTest.VerifyAsync(
            $$"""
            using SochDb.Policy;

            public static partial class AgentPolicies
            {
                public static string {|#0:Compiled|} => "v2";

            {{Rule}}
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.GeneratedMemberConflict).WithLocation(0)
                .WithArguments("AgentPolicies", "Compiled", "it already declares a member named 'Compiled'"));

    [Fact]
    public Task MemberOfAnyKindNamedLikeTheGeneratedClassIsReported() =>
        PolicyAnalyzerTest.VerifyAsync(
            $$"""
            using SochDb.Policy;

            public static partial class AgentPolicies
            {
                private static void {|#0:CompiledPolicies|}() { }

            {{Rule}}
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.GeneratedMemberConflict).WithLocation(0)
                .WithArguments("AgentPolicies", "CompiledPolicies", "it already declares a member named 'CompiledPolicies'"));

    [Fact]
    public Task ClassLevelRulesAloneMakeTheNameClashCount() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeDelete, "audit/**")]
            public partial class AgentPolicies
            {
                public int {|#0:Compiled|};
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.GeneratedMemberConflict).WithLocation(0)
                .WithArguments("AgentPolicies", "Compiled", "it already declares a member named 'Compiled'"));

    [Fact]
    public Task InheritedMemberIsReportedOnTheType() =>
        PolicyAnalyzerTest.VerifyAsync(
            $$"""
            using SochDb.Policy;

            public class Base
            {
                protected static object Compiled => new();
            }

            public partial class {|#0:AgentPolicies|} : Base
            {
            {{Rule}}
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.GeneratedMemberConflict).WithLocation(0)
                .WithArguments("AgentPolicies", "Compiled", "it inherits a member named 'Compiled' from 'Base'"));

    [Fact]
    public Task PrivateMemberOfABaseTypeHidesNothing() =>
        PolicyAnalyzerTest.VerifyAsync($$"""
            using SochDb.Policy;

            public class Base
            {
                private static object Compiled => new();
            }

            public partial class AgentPolicies : Base
            {
            {{Rule}}
            }
            """);

    [Fact]
    public Task TypeNamedLikeAGeneratedMemberIsReported() =>
        PolicyAnalyzerTest.VerifyAsync(
            $$"""
            using SochDb.Policy;

            public static partial class {|#0:Compiled|}
            {
            {{Rule}}
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.GeneratedMemberConflict).WithLocation(0)
                .WithArguments("Compiled", "Compiled", "the type itself is named 'Compiled'"));

    [Fact]
    public Task MembersTheGeneratorAddedAreNotAClash() =>
        PolicyAnalyzerTest.VerifyAsync($$"""
            using SochDb.Policy;

            public static partial class AgentPolicies
            {
            {{Rule}}
            }

            // What the generator adds, as it adds it.
            partial class AgentPolicies
            {
                [System.CodeDom.Compiler.GeneratedCode("SochDb.Policy.Generators", "1.0.0.0")]
                public static global::SochDb.Policy.CompilerServices.CompiledPolicySet Compiled { get; } = null!;

                [System.CodeDom.Compiler.GeneratedCode("SochDb.Policy.Generators", "1.0.0.0")]
                private sealed class CompiledPolicies
                {
                }
            }
            """);

    [Fact]
    public Task MemberMarkedAsGeneratedByAnotherToolStillClashes() =>
        PolicyAnalyzerTest.VerifyAsync(
            $$"""
            using SochDb.Policy;

            public static partial class {|#0:AgentPolicies|}
            {
                // Code marked generated hides diagnostics on itself, so this one sits on the type.
                [System.CodeDom.Compiler.GeneratedCode("SomeOtherTool", "1.0")]
                public static int Compiled => 1;

            {{Rule}}
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.GeneratedMemberConflict).WithLocation(0)
                .WithArguments("AgentPolicies", "Compiled", "it already declares a member named 'Compiled'"));

    [Fact]
    public Task TypeWithoutRulesMayUseTheNames() =>
        PolicyAnalyzerTest.VerifyAsync("""
            public static class Settings
            {
                public static string Compiled => "yes";

                private sealed class CompiledPolicies
                {
                }
            }
            """);
}
