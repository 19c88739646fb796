using Microsoft.CodeAnalysis.Testing;
using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0001: an invalid pattern squiggles exactly the offending characters, as written in the source.</summary>
public sealed class GlobPatternSpanTests
{
    private static string Handler(string attributeArgument) => $$"""
        using SochDb.Policy;

        public static partial class Policies
        {
            [BeforeWrite({{attributeArgument}})]
            static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
        }
        """;

    [Theory]
    // one case per grammar error class (GlobErrorCode)
    [InlineData("{|SOCH0001:\"\"|}")]                         // EmptyPattern: nothing offends, the whole literal does
    [InlineData("\"a{|SOCH0001:**|}\"")]                      // DoubleStarNotWholeSegment, after a literal
    [InlineData("\"{|SOCH0001:**|}.json\"")]                  // DoubleStarNotWholeSegment, before a literal
    [InlineData("\"a/{|SOCH0001:***|}/b\"")]                  // DoubleStarNotWholeSegment, a run of three
    [InlineData("\"a/sys{|SOCH0001:[|}tem\"")]                // UnclosedClass
    [InlineData("\"a/{|SOCH0001:[]|}\"")]                     // EmptyClass
    [InlineData("\"a/{|SOCH0001:[!]|}\"")]                    // EmptyClass, negated
    [InlineData("\"a/[{|SOCH0001:z-a|}]\"")]                  // ReversedRange
    [InlineData("\"a[b{|SOCH0001:/|}c]\"")]                   // SlashInClass
    [InlineData("\"a{b{|SOCH0001:/|}c}\"")]                   // SlashInBrace
    [InlineData("\"a{b{|SOCH0001:\\\\/|}c}\"")]               // SlashInBrace, escaped '/' (source \\/ is value \/)
    [InlineData("\"a/b{|SOCH0001:\\\\|}\"")]                  // TrailingBackslash (source \\ is value \)
    [InlineData("\"a{|SOCH0001:\\uD800|}b\"")]                // LoneSurrogate, written as an escape
    public Task Each_grammar_error_squiggles_the_offending_characters(string argument) =>
        PolicyAnalyzerTest.VerifyAsync(Handler(argument));

    [Fact]
    public Task UnclosedBraceSquigglesTheBrace() =>
        // '{|' is markup, so the span is given by position: the '{' after "config/" on line 5.
        PolicyAnalyzerTest.VerifyAsync(
            Handler("\"config/{json\""),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidGlobPattern).WithSpan(5, 26, 5, 27).WithArguments("config/{json", "unclosed '{' at 7"));

    [Fact]
    public Task NestedBraceSquigglesTheInnerBrace() =>
        PolicyAnalyzerTest.VerifyAsync(
            Handler("\"a.{x,{y}}\""),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidGlobPattern).WithSpan(5, 24, 5, 25).WithArguments("a.{x,{y}}", "nested '{' at 5: braces cannot be nested"));

    [Fact]
    public Task TooLongPatternSquigglesTheCharactersPastTheLimit()
    {
        string allowed = new('a', 1024);
        return PolicyAnalyzerTest.VerifyAsync(Handler("\"" + allowed + "{|SOCH0001:bcdef|}\""));
    }

    [Theory]
    [InlineData("\"a\\\\b/sys{|SOCH0001:[|}x\"")]             // an escaped backslash before the error shifts source offsets by one
    [InlineData("\"\\\"q\\\"/[{|SOCH0001:z-a|}]\"")]          // escaped quotes
    [InlineData("\"a/sys{|SOCH0001:\\u005B|}tem\"")]          // the offending '[' written as \u005B: the whole escape is squiggled
    [InlineData("\"\\x41/{|SOCH0001:\\x5B|}\"")]              // variable-length \x escapes
    [InlineData("\"\\U0001F600/[{|SOCH0001:z-a|}]\"")]        // \U escape producing a surrogate pair
    [InlineData("\"😀/[{|SOCH0001:z-a|}]\"")]                 // a literal surrogate pair is two UTF-16 units in value and source
    [InlineData("\"\\t/a{|SOCH0001:**|}\"")]                  // simple escapes
    public Task Regular_literals_map_escapes(string argument) =>
        PolicyAnalyzerTest.VerifyAsync(Handler(argument));

    [Theory]
    [InlineData("@\"a\\b/{|SOCH0001:[|}x\"")]                 // verbatim: backslash is one character
    [InlineData("@\"\"\"q\"\"/[{|SOCH0001:z-a|}]\"")]         // verbatim: "" is one quote in the value
    [InlineData("\"\"\"a/sys{|SOCH0001:[|}tem\"\"\"")]        // single-line raw
    [InlineData("\"\"\"\"a\"\"\"b/{|SOCH0001:**|}x\"\"\"\"")] // single-line raw with four quotes
    public Task Verbatim_and_raw_literals_map_offsets(string argument) =>
        PolicyAnalyzerTest.VerifyAsync(Handler(argument));

    [Fact]
    public Task MultiLineRawLiteralMapsOffsetsPastTheRemovedIndentation() =>
        PolicyAnalyzerTest.VerifyAsync(""""
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite("""
                    first line
                        sec{|SOCH0001:[|}ond
                    """)]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """");

    [Fact]
    public Task ConstReferenceSquigglesTheWholeArgument() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            public static partial class Policies
            {
                const string Pattern = "a**";

                [BeforeWrite({|SOCH0001:Pattern|})]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task ConstantExpressionSquigglesTheWholeExpression() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite({|SOCH0001:"sys" + "[tem"|})]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task NamedConstructorArgumentIsFound() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite(pattern: "a/{|SOCH0001:[|}", Order = 2)]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task MessageSaysWhatIsWrongAndWhatIsAccepted() =>
        PolicyAnalyzerTest.VerifyAsync(
            Handler("\"a/sys[tem\""),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidGlobPattern)
                .WithSpan(5, 24, 5, 25)
                .WithMessage("Invalid glob pattern \"a/sys[tem\": unclosed '[' at 5; patterns accept literal characters, '*', '?', '[a-z]', '[!a-z]', '{a,b}', '\\x' escapes and '**' as a whole segment"));

    [Fact]
    public Task ValidPatternsReportNothing() =>
        PolicyAnalyzerTest.VerifyAsync(""""
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeDelete, "**")]
            [RequireAgentId(PolicyTrigger.BeforeWrite, "agents/**/state")]
            [Redact("users/*/ssn", "[REDACTED]")]
            public static partial class Policies
            {
                [BeforeWrite("system/*")]
                [BeforeWrite(@"config/*.{json,yaml}")]
                [BeforeWrite("""a+b/[!a-z]?\*""")]
                [AfterRead("users/**")]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """");

    [Fact]
    public Task ClassLevelRulesPatternsAreChecked() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeDelete, "a/[{|SOCH0001:z-a|}]x")]
            [RequireAgentId(PolicyTrigger.BeforeWrite, {|SOCH0001:""|})]
            [Redact("users/{|SOCH0001:**|}ssn", "[REDACTED]")]
            public static partial class Policies
            {
            }
            """);
}
