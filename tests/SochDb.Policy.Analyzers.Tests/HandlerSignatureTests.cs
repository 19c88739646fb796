using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0002–SOCH0005: handler shapes the generated dispatch can call, and the ones it cannot.</summary>
public sealed class HandlerSignatureTests
{
    private static string InPolicies(string members) => $$"""
        using System;
        using System.Threading.Tasks;
        using SochDb.Policy;

        public partial class Policies
        {
        {{members}}
        }
        """;

    [Fact]
    public Task AcceptedShapesReportNothing() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                [BeforeWrite("a/*")]
                static PolicyAction Canonical(in PolicyRequest request) => PolicyAction.Allow;

                [BeforeRead("a/*")]
                private static PolicyAction ByValue(PolicyRequest request) => PolicyAction.Deny;

                [BeforeDelete("a/*")]
                public static PolicyAction Seed(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context) => PolicyAction.Allow;

                [BeforeWrite("a/*")]
                [AfterRead("a/*")]
                static PolicyDecision Modifies(in PolicyRequest request) => PolicyDecision.Allow;

                [AfterRead("b/*")]
                static PolicyAction Withholds(in PolicyRequest request) => PolicyAction.Allow;

                [AfterWrite("a/*")]
                [AfterDelete("a/*")]
                static void Observes(in PolicyRequest request) { }
            """));

    [Fact]
    public Task InstanceHandlerIsReportedOnItsName() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                [BeforeWrite("a/*")]
                PolicyAction {|SOCH0002:Check|}(in PolicyRequest request) => PolicyAction.Allow;
            """));

    [Theory]
    [InlineData("(string key)")]
    [InlineData("()")]
    [InlineData("(ref PolicyRequest request)")]
    [InlineData("(in PolicyRequest request, int extra)")]
    [InlineData("(ReadOnlySpan<byte> key, PolicyContext context)")]
    [InlineData("(ReadOnlySpan<char> key, ReadOnlySpan<byte> value, PolicyContext context)")]
    [InlineData("(byte[] key, byte[] value, PolicyContext context)")]
    public Task Unsupported_parameter_list_is_reported_on_the_list(string parameters) =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies($$"""
                [BeforeWrite("a/*")]
                static PolicyAction Check{|SOCH0003:{{parameters}}|} => PolicyAction.Allow;
            """));

    [Fact]
    public Task ParameterListMessageNamesTheListAndTheAcceptedOnes() =>
        PolicyAnalyzerTest.VerifyAsync(
            InPolicies("""
                    [BeforeWrite("a/*")]
                    static PolicyAction Check(string key) => PolicyAction.Allow;
                """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.UnsupportedParameterList)
                .WithSpan(8, 30, 8, 42)
                .WithMessage("Policy handler 'Check' has the parameter list '(string key)'; use '(in PolicyRequest request)' or '(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context)'"));

    [Theory]
    [InlineData("BeforeWrite", "bool")]
    [InlineData("BeforeRead", "PolicyDecision")]
    [InlineData("BeforeDelete", "PolicyDecision")]
    [InlineData("BeforeDelete", "void")]
    [InlineData("AfterRead", "int")]
    [InlineData("AfterWrite", "PolicyAction")]
    [InlineData("AfterDelete", "PolicyDecision")]
    public Task ReturnTypeTheTriggerRejectsIsReportedOnTheType(string trigger, string returnType) =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies($$"""
                [{{trigger}}("a/*")]
                static {|SOCH0004:{{returnType}}|} Check(in PolicyRequest request) => throw new InvalidOperationException();
            """));

    [Fact]
    public Task ReturnTypeMessageSaysWhatTheTriggerAccepts() =>
        PolicyAnalyzerTest.VerifyAsync(
            InPolicies("""
                    [BeforeRead("a/*")]
                    static PolicyDecision Check(in PolicyRequest request) => PolicyDecision.Allow;
                """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidReturnType)
                .WithSpan(8, 12, 8, 26)
                .WithArguments("Check", "PolicyDecision", "[BeforeRead]",
                    "return PolicyAction (PolicyDecision is accepted on BeforeWrite and AfterRead only, where Modify is meaningful)"));

    [Fact]
    public Task TriggersThatWantDifferentReturnTypesAreNamedTogether() =>
        PolicyAnalyzerTest.VerifyAsync(
            InPolicies("""
                    [BeforeRead("a/*")]
                    [AfterWrite("a/*")]
                    static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
                """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidReturnType)
                .WithSpan(9, 12, 9, 24)
                .WithArguments("Check", "PolicyAction", "[AfterWrite]",
                    "no return type suits all of its triggers together: split it into one handler per kind of trigger"));

    // An async method cannot take a ref struct (PolicyRequest, ReadOnlySpan), so its parameter list is wrong too.
    [Fact]
    public Task AsyncHandlerIsReportedOnTheAsyncKeywordNotTheReturnType() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                [BeforeWrite("a/*")]
                static {|SOCH0005:async|} Task<PolicyAction> Check{|SOCH0003:(string key)|}
                {
                    await Task.Yield();
                    return PolicyAction.Deny;
                }
            """));

    [Theory]
    [InlineData("Task<PolicyAction>", "Task.FromResult(PolicyAction.Deny)")]
    [InlineData("ValueTask<PolicyAction>", "new ValueTask<PolicyAction>(PolicyAction.Deny)")]
    [InlineData("Task", "Task.CompletedTask")]
    [InlineData("ValueTask", "default(ValueTask)")]
    public Task TaskReturningHandlerIsReportedOnTheReturnType(string returnType, string body) =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies($$"""
                [BeforeWrite("a/*")]
                static {|SOCH0005:{{returnType}}|} Check(in PolicyRequest request) => {{body}};
            """));

    [Fact]
    public Task TaskMessageNamesTheTaskType() =>
        PolicyAnalyzerTest.VerifyAsync(
            InPolicies("""
                    [AfterWrite("a/*")]
                    static Task Check(in PolicyRequest request) => Task.CompletedTask;
                """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.AsyncOrGenericHandler)
                .WithSpan(8, 12, 8, 16)
                .WithArguments("Check", "returns 'Task', a task the dispatch cannot wait for"));

    [Fact]
    public Task GenericHandlerIsReportedOnItsTypeParameters() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                [BeforeWrite("a/*")]
                static PolicyAction Check{|SOCH0005:<T>|}(in PolicyRequest request) => PolicyAction.Allow;
            """));

    [Fact]
    public Task SeveralProblemsOnOneHandlerAreEachReported() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                [BeforeWrite("a/*")]
                {|SOCH0004:bool|} {|SOCH0002:Check|}{|SOCH0003:(int x)|} => true;
            """));

    [Fact]
    public Task MethodsWithoutHandlerAttributesAreIgnored() =>
        PolicyAnalyzerTest.VerifyAsync(InPolicies("""
                [Obsolete]
                bool Check(int x) => true;

                static async Task<bool> Other() { await Task.Yield(); return true; }
            """));
}
