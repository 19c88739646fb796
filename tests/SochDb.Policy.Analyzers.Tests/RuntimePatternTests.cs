using SochDb.Policy.Analyzers.Tests.Infrastructure;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0009: constant patterns given to the run-time API are checked at compile time.</summary>
public sealed class RuntimePatternTests
{
    [Fact]
    public Task InvalidLiteralGivenToGlobMatcherCompileIsReportedOnTheOffendingCharacters() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy.CompilerServices;

            static class Program
            {
                static void Main()
                {
                    GlobMatcher.Compile("sys[tem{|SOCH0009:/|}*");
                    GlobMatcher.Compile(pattern: @"a/[{|SOCH0009:z-a|}]");
                }
            }
            """);

    [Fact]
    public Task MessageNamesTheMethodAndTheRunTimeFailure() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy.CompilerServices;

            static class Program
            {
                static void Main() => GlobMatcher.Compile("a{|#0:**|}");
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuntimeGlobPattern).WithLocation(0)
                .WithArguments("a**", "GlobMatcher.Compile",
                    "'**' at 1 must be a whole segment ('a/**/b', '**/x', 'a/**'); use '*' to match within a segment"));

    [Fact]
    public Task ConstReferenceIsReportedOnTheWholeArgument() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy.CompilerServices;

            static class Program
            {
                const string Pattern = "";

                static void Main() => GlobMatcher.Compile({|SOCH0009:Pattern|});
            }
            """);

    [Fact]
    public Task ValidAndNonConstantPatternsReportNothing() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using System;
            using SochDb.Policy.CompilerServices;

            static class Program
            {
                static void Main(string[] args)
                {
                    GlobMatcher.Compile("users/**");
                    GlobMatcher.Compile(args[0] + "[");
                    GlobMatcher.Compile(Environment.GetEnvironmentVariable("P") ?? "x");
                }
            }
            """);

    [Fact]
    public Task InvalidLiteralGivenToEngineRegistrationIsReported() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb;
            using SochDb.Policy;

            static class Program
            {
                static void Main()
                {
                    var policy = new PolicyEngine(Database.OpenInMemory());
                    policy.BeforeWrite("sys{|SOCH0009:[|}tem", (in PolicyRequest r) => PolicyDecision.Allow);
                    policy.BeforeRead(@"a/{|SOCH0009:**|}b", (in PolicyRequest r) => PolicyDecision.Allow);
                    policy.AfterRead("a/[{|SOCH0009:z-a|}]", (in PolicyRequest r) => PolicyDecision.Allow);
                    policy.BeforeDelete("{|SOCH0009:**|}x", (in PolicyRequest r) => PolicyDecision.Allow);
                    policy.AfterWrite("a{|SOCH0009:\\|}", (in PolicyRequest r) => { });
                    policy.AfterDelete({|SOCH0009:""|}, (in PolicyRequest r) => { }, name: "audit");
                    policy.On(PolicyTrigger.BeforeWrite, name: "n", handler: (in PolicyRequest r) => PolicyDecision.Allow, pattern: "x{|SOCH0009:[|}");
                    policy.BeforeWrite("system/*", (in PolicyRequest r) => PolicyDecision.Allow);
                }
            }
            """);
}
