using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0009: constant patterns given to the run-time API are checked at compile time.</summary>
public sealed class RuntimePatternTests
{
    [Fact]
    public Task Invalid_literal_given_to_GlobMatcher_Compile_is_reported_on_the_offending_characters() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy.Matching;

            static class Program
            {
                static void Main()
                {
                    GlobMatcher.Compile("sys[tem{|SOCH0009:/|}*");
                    GlobMatcher.Compile(pattern: "a/{|SOCH0009:[z-a]|}".Length > 0 ? "x" : "y");
                }
            }
            """.Replace("a/{|SOCH0009:[z-a]|}", "a/[z-a]")
               .Replace("GlobMatcher.Compile(pattern: \"a/[z-a]\".Length > 0 ? \"x\" : \"y\");", "GlobMatcher.Compile(pattern: @\"a/[{|SOCH0009:z-a|}]\");"));

    [Fact]
    public Task Message_names_the_method_and_the_run_time_failure() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy.Matching;

            static class Program
            {
                static void Main() => GlobMatcher.Compile("a{|#0:**|}");
            }
            """,
            Diagnostics.Of(DiagnosticDescriptors.InvalidRuntimeGlobPattern).WithLocation(0)
                .WithArguments("a**", "GlobMatcher.Compile",
                    "'**' at 1 must be a whole segment ('a/**/b', '**/x', 'a/**'); use '*' to match within a segment"));

    [Fact]
    public Task Const_reference_is_reported_on_the_whole_argument() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy.Matching;

            static class Program
            {
                const string Pattern = "";

                static void Main() => GlobMatcher.Compile({|SOCH0009:Pattern|});
            }
            """);

    [Fact]
    public Task Valid_and_non_constant_patterns_report_nothing() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using System;
            using SochDb.Policy.Matching;

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
}
