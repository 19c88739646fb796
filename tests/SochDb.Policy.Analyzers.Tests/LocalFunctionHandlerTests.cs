using Microsoft.CodeAnalysis.Testing;
using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0012: handler attributes on local functions, which the generator never sees.</summary>
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
    public Task Handler_attribute_on_a_local_function_is_reported_on_its_name() =>
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
    public Task Several_attributes_give_one_diagnostic_naming_each_trigger_once() =>
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
    public Task Local_functions_nested_in_accessors_lambdas_and_local_functions_are_reported() =>
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
    public Task Invalid_glob_on_a_local_function_is_still_reported() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                public static void Register()
                {
                    [BeforeWrite("bad/[{|SOCH0001:z-a|}]")]
                    static PolicyAction {|SOCH0012:Check|}(in PolicyRequest request) => PolicyAction.Allow;
                }
            """));

    [Fact]
    public Task Handler_methods_report_nothing() =>
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
    public Task Local_functions_with_other_attributes_report_nothing() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                public static void Register()
                {
                    [Obsolete]
                    [return: System.Diagnostics.CodeAnalysis.NotNull]
                    static string Describe([System.Diagnostics.CodeAnalysis.NotNull] string text) => text;
                }
            """));

    [Fact]
    public Task Without_a_SochDb_Policy_reference_same_named_attributes_are_not_policy_attributes()
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
    public Task Generated_code_is_not_analyzed()
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
