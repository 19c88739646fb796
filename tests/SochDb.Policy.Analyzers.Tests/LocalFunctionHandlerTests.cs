using Microsoft.CodeAnalysis.Testing;
using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0012: handler attributes on local functions and lambdas, which the generator never sees.</summary>
public sealed class LocalFunctionHandlerTests
{
    private static string InPolicies(string members) => $$"""
        using System;
        using SochDb.Policy;

        public static partial class Policies
        {
        {{members}}
        }
        """;

    [Fact]
    public Task HandlerAttributeOnALocalFunctionIsReportedOnItsName() =>
        PolicyAnalyzerTest.VerifyAsync(
            InPolicies("""
                    public static void Register()
                    {
                        [BeforeWrite("system/*")]
                        static PolicyAction {|#0:BlockSystem|}(in PolicyRequest request) => PolicyAction.Deny;
                    }
                """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.HandlerOnLocalFunction)
                .WithLocation(0)
                .WithArguments("BlockSystem", "its [BeforeWrite] rule", "runs"));

    [Fact]
    public Task SeveralAttributesGiveOneDiagnosticNamingEachTriggerOnce() =>
        PolicyAnalyzerTest.VerifyAsync(
            InPolicies("""
                    public static void Register()
                    {
                        [BeforeWrite("a/*")]
                        [BeforeWrite("b/*")]
                        [AfterRead("a/*")]
                        PolicyDecision {|#0:Check|}(in PolicyRequest request) => PolicyDecision.Allow;
                    }
                """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.HandlerOnLocalFunction)
                .WithLocation(0)
                .WithArguments("Check", "its [BeforeWrite] and [AfterRead] rules", "run"));

    [Fact]
    public Task LocalFunctionsNestedInAccessorsLambdasAndLocalFunctionsAreReported() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                public static int Property
                {
                    get
                    {
                        [BeforeDelete("a/*")]
                        static PolicyAction {|SOCH0012:InGetter|}(in PolicyRequest request) => PolicyAction.Allow;
                        return 0;
                    }
                }

                public static Action Factory() => () =>
                {
                    [AfterWrite("a/*")]
                    static void {|SOCH0012:InLambda|}(in PolicyRequest request) { }
                };

                public static void Outer()
                {
                    void Inner()
                    {
                        [BeforeRead("a/*")]
                        static PolicyAction {|SOCH0012:Innermost|}(in PolicyRequest request) => PolicyAction.Allow;
                    }
                }
            """));

    [Fact]
    public Task InvalidGlobOnALocalFunctionIsStillReported() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                public static void Register()
                {
                    [BeforeWrite("bad/[{|SOCH0001:z-a|}]")]
                    static PolicyAction {|SOCH0012:Check|}(in PolicyRequest request) => PolicyAction.Allow;
                }
            """));

    [Fact]
    public Task HandlerMethodsReportNothing() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                [BeforeWrite("system/*")]
                static PolicyAction BlockSystem(in PolicyRequest request) => PolicyAction.Deny;

                public static PolicyAction Register(in PolicyRequest request)
                {
                    return Local(request);

                    static PolicyAction Local(in PolicyRequest request) => BlockSystem(request);
                }
            """));

    [Fact]
    public Task LocalFunctionsWithOtherAttributesReportNothing() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                public static void Register()
                {
                    [Obsolete]
                    [return: System.Diagnostics.CodeAnalysis.NotNull]
                    static string Describe([System.Diagnostics.CodeAnalysis.NotNull] string text) => text;
                }
            """));

    [Fact]
    public Task HandlerAttributeOnALambdaIsReportedOnItsParameterList() =>
        PolicyAnalyzerTest.VerifyAsync(
            InPolicies("""
                    public static PolicyHandler Create() =>
                        [BeforeWrite("system/*")] static {|#0:(in PolicyRequest r)|} => PolicyAction.Deny;
                """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.HandlerOnLambda)
                .WithLocation(0)
                .WithArguments("its [BeforeWrite] rule", "runs"));

    [Fact]
    public Task LambdaMessageNamesEachTriggerOnceAndIsTheSameIdAsForLocalFunctions() =>
        PolicyAnalyzerTest.VerifyAsync(
            InPolicies("""
                    public static void Register()
                    {
                        var check = [BeforeRead("a/*"), BeforeRead("b/*")] [AfterRead("a/*")] [Obsolete]
                            {|#0:(in PolicyRequest request)|} => PolicyDecision.Allow;
                        PolicyObserver observe = [AfterDelete("a/*")] {|#1:(in PolicyRequest request)|} => { };
                    }
                """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.HandlerOnLambda)
                .WithLocation(0)
                .WithArguments("its [BeforeRead] and [AfterRead] rules", "run"),
            new DiagnosticResult("SOCH0012", Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
                .WithLocation(1)
                .WithMessage("Policy attribute on a lambda is ignored: its [AfterDelete] rule never runs, because handlers must be static methods declared in a partial class or struct; move the lambda's body into a static method of the containing type and put the attribute there"));

    [Fact]
    public Task LambdasPassedToTheEngineAndNestedInLocalFunctionsAreReported() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb;
            using SochDb.Policy;

            static class Program
            {
                static void Main()
                {
                    var engine = new PolicyEngine(Database.OpenInMemory());
                    engine.BeforeWrite("x/*", [BeforeWrite("y/*")] static {|SOCH0012:(in PolicyRequest r)|} => PolicyAction.Deny);

                    void Local() => engine.AfterWrite("x/*", [AfterWrite("x/*")] {|SOCH0012:(in PolicyRequest r)|} => { });
                    Local();
                }
            }
            """);

    [Fact]
    public Task InvalidGlobOnALambdaIsStillReported() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                public static PolicyHandler Create() =>
                    [BeforeWrite("bad/[{|SOCH0001:z-a|}]")] static {|SOCH0012:(in PolicyRequest r)|} => PolicyAction.Allow;
            """));

    [Fact]
    public Task LambdasWithoutPolicyAttributesReportNothing() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using System;
            using System.Diagnostics.CodeAnalysis;
            using SochDb;
            using SochDb.Policy;

            static class Program
            {
                static void Main()
                {
                    var engine = new PolicyEngine(Database.OpenInMemory());
                    engine.BeforeWrite("x/*", static (in PolicyRequest r) => PolicyAction.Deny);
                    engine.AfterRead("x/*", static (in PolicyRequest r) => PolicyDecision.Allow);
                    Func<string, string> trim = [Obsolete] [return: NotNull] static ([NotNull] string s) => s.Trim();
                    Func<int, int> twice = x => x * 2;
                    Action nothing = delegate { };
                }
            }
            """);

    [Fact]
    public Task WithoutASochDbPolicyReferenceSameNamedAttributesAreNotPolicyAttributes()
    {
        const string source = """
            using System;

            [AttributeUsage(AttributeTargets.Method)]
            public sealed class BeforeWriteAttribute(string pattern) : Attribute
            {
                public string Pattern { get; } = pattern;
            }

            public static class Policies
            {
                public static void Register()
                {
                    [BeforeWrite("[z-a]")]
                    static bool Check(string key) => true;
                }
            }
            """;
        var test = new PolicyAnalyzerTest(includeRuntime: false) { TestCode = source };
        return test.RunAsync();
    }

    [Fact]
    public Task GeneratedCodeIsNotAnalyzed()
    {
        const string source = """
            // <auto-generated/>
            using SochDb.Policy;

            public static partial class Policies
            {
                public static void Register()
                {
                    [BeforeWrite("system/*")]
                    static PolicyAction BlockSystem(in PolicyRequest request) => PolicyAction.Deny;
                }
            }
            """;
        return PolicyAnalyzerTest.VerifyAsync(source);
    }
}
