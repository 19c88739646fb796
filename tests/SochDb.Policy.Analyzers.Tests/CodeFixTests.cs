using SochDb.Policy.Analyzers.Tests.Infrastructure;
using SochDb.Policy.CodeFixes;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>Code fixes for SOCH0002, SOCH0003, SOCH0004 and SOCH0006, one at a time and with Fix All.</summary>
public sealed class CodeFixTests
{
    [Fact]
    public Task AddStaticAfterTheAccessibility() =>
        PolicyCodeFixTest<MakeHandlerStaticCodeFixProvider>.VerifyAsync(
            """
            using SochDb.Policy;

            public partial class Policies
            {
                [BeforeWrite("a/*")]
                private PolicyAction {|SOCH0002:Check|}(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            """
            using SochDb.Policy;

            public partial class Policies
            {
                [BeforeWrite("a/*")]
                private static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task AddStaticWithoutModifiersKeepsCommentsAndIndentation() =>
        PolicyCodeFixTest<MakeHandlerStaticCodeFixProvider>.VerifyAsync(
            """
            using SochDb.Policy;

            public partial class Policies
            {
                [BeforeWrite("a/*")]
                // blocks writes
                PolicyAction {|SOCH0002:Check|}(in PolicyRequest request) => PolicyAction.Deny;
            }
            """,
            """
            using SochDb.Policy;

            public partial class Policies
            {
                [BeforeWrite("a/*")]
                // blocks writes
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Deny;
            }
            """);

    [Fact]
    public Task FixAllMakesEveryHandlerStatic() =>
        PolicyCodeFixTest<MakeHandlerStaticCodeFixProvider>.VerifyAsync(
            """
            using SochDb.Policy;

            public partial class Policies
            {
                [BeforeWrite("a/*")]
                public PolicyAction {|SOCH0002:First|}(in PolicyRequest request) => PolicyAction.Allow;

                [AfterWrite("a/*")]
                internal void {|SOCH0002:Second|}(in PolicyRequest request) { }

                [BeforeRead("a/*")]
                PolicyAction {|SOCH0002:Third|}(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            """
            using SochDb.Policy;

            public partial class Policies
            {
                [BeforeWrite("a/*")]
                public static PolicyAction First(in PolicyRequest request) => PolicyAction.Allow;

                [AfterWrite("a/*")]
                internal static void Second(in PolicyRequest request) { }

                [BeforeRead("a/*")]
                static PolicyAction Third(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task AddPartialToTheTypeAndItsContainingTypes() =>
        PolicyCodeFixTest<MakeTypePartialCodeFixProvider>.VerifyAsync(
            """
            using SochDb.Policy;

            namespace App;

            internal static class {|#1:Outer|}
            {
                sealed class {|#2:Middle|}
                {
                    public static class {|#0:Policies|}
                    {
                        [BeforeWrite("a/*")]
                        static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                    }
                }
            }
            """,
            """
            using SochDb.Policy;

            namespace App;

            internal static partial class Outer
            {
                sealed partial class Middle
                {
                    public static partial class Policies
                    {
                        [BeforeWrite("a/*")]
                        static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                    }
                }
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.TypeNotPartial).WithLocation(0).WithLocation(0).WithLocation(2).WithLocation(1)
                .WithArguments("Outer.Middle.Policies", "'Outer.Middle.Policies', 'Outer.Middle', 'Outer'"));

    [Fact]
    public Task AddPartialMovesLeadingTriviaWhenThereAreNoModifiers() =>
        PolicyCodeFixTest<MakeTypePartialCodeFixProvider>.VerifyAsync(
            """
            using SochDb.Policy;

            /// <summary>Rules.</summary>
            [RateLimit(PolicyOperation.Write, 10)]
            class {|#0:Policies|}
            {
            }
            """,
            """
            using SochDb.Policy;

            /// <summary>Rules.</summary>
            [RateLimit(PolicyOperation.Write, 10)]
            partial class Policies
            {
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.TypeNotPartial).WithLocation(0).WithLocation(0).WithArguments("Policies", "'Policies'"));

    [Fact]
    public Task FixAllSharesAContainingTypeBetweenTwoDiagnostics() =>
        PolicyCodeFixTest<MakeTypePartialCodeFixProvider>.VerifyAsync(
            """
            using SochDb.Policy;

            public static class {|#2:Outer|}
            {
                public static class {|#0:Reads|}
                {
                    [BeforeRead("a/*")]
                    static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                }

                public static class {|#1:Writes|}
                {
                    [BeforeWrite("a/*")]
                    static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                }
            }
            """,
            """
            using SochDb.Policy;

            public static partial class Outer
            {
                public static partial class Reads
                {
                    [BeforeRead("a/*")]
                    static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                }

                public static partial class Writes
                {
                    [BeforeWrite("a/*")]
                    static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                }
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.TypeNotPartial).WithLocation(0).WithLocation(0).WithLocation(2).WithArguments("Outer.Reads", "'Outer.Reads', 'Outer'"),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.TypeNotPartial).WithLocation(1).WithLocation(1).WithLocation(2).WithArguments("Outer.Writes", "'Outer.Writes', 'Outer'"));

    [Fact]
    public Task RewriteTheParameterListToTheCanonicalOne() =>
        PolicyCodeFixTest<HandlerParameterListCodeFixProvider>.VerifyAsync(
            """
            using System;
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeDelete("a/*")]
                static PolicyAction Check{|SOCH0003:(string key, int attempt)|} => throw new InvalidOperationException();
            }
            """,
            """
            using System;
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeDelete("a/*")]
                static PolicyAction Check(in PolicyRequest request) => throw new InvalidOperationException();
            }
            """);

    [Fact]
    public Task ParameterListFixQualifiesTheTypeWhenTheNamespaceIsNotImported() =>
        PolicyCodeFixTest<HandlerParameterListCodeFixProvider>.VerifyAsync(
            """
            public static partial class Policies
            {
                [SochDb.Policy.AfterWrite("a/*")]
                static void Log{|SOCH0003:()|} { }
            }
            """,
            """
            public static partial class Policies
            {
                [SochDb.Policy.AfterWrite("a/*")]
                static void Log(in SochDb.Policy.PolicyRequest request) { }
            }
            """);

    [Fact]
    public Task FixAllRewritesEveryParameterList() =>
        PolicyCodeFixTest<HandlerParameterListCodeFixProvider>.VerifyAsync(
            """
            using System;
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite("a/*")]
                static PolicyAction First{|SOCH0003:(byte[] key)|} => PolicyAction.Allow;

                [AfterDelete("a/*")]
                static void Second{|SOCH0003:(ReadOnlySpan<byte> key)|} { }
            }
            """,
            """
            using System;
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite("a/*")]
                static PolicyAction First(in PolicyRequest request) => PolicyAction.Allow;

                [AfterDelete("a/*")]
                static void Second(in PolicyRequest request) { }
            }
            """);

    [Fact]
    public Task FixAllRewritesEachReturnTypeToWhatItsTriggersAccept() =>
        PolicyCodeFixTest<HandlerReturnTypeCodeFixProvider>.VerifyAsync(
            """
            using System;
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeRead("a/*")]
                static {|SOCH0004:PolicyDecision|} Reads(in PolicyRequest request) => PolicyAction.Deny;

                [BeforeWrite("a/*")]
                static {|SOCH0004:bool|} Writes(in PolicyRequest request) => throw new InvalidOperationException();

                [AfterWrite("a/*")]
                [AfterDelete("a/*")]
                static {|SOCH0004:PolicyAction|} Observes(in PolicyRequest request) { throw new InvalidOperationException(); }
            }
            """,
            """
            using System;
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeRead("a/*")]
                static PolicyAction Reads(in PolicyRequest request) => PolicyAction.Deny;

                [BeforeWrite("a/*")]
                static PolicyAction Writes(in PolicyRequest request) => throw new InvalidOperationException();

                [AfterWrite("a/*")]
                [AfterDelete("a/*")]
                static void Observes(in PolicyRequest request) { throw new InvalidOperationException(); }
            }
            """);

    [Fact]
    public Task NoReturnTypeFixWhenTheTriggersDisagree() =>
        PolicyCodeFixTest<HandlerReturnTypeCodeFixProvider>.VerifyAsync(
            """
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeRead("a/*")]
                [AfterWrite("a/*")]
                static {|SOCH0004:PolicyAction|} Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            """
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeRead("a/*")]
                [AfterWrite("a/*")]
                static {|SOCH0004:PolicyAction|} Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);
}
