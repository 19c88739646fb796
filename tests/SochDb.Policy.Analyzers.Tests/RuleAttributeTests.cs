using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0008, SOCH0010, SOCH0011: duplicate rules, [RateLimit] arguments, class-level rules on triggers that cannot deny.</summary>
public sealed class RuleAttributeTests
{
    [Fact]
    public Task Same_trigger_and_pattern_twice_on_a_handler_is_a_duplicate() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite("a/*")]
                [BeforeRead("a/*")]
                [{|SOCH0008:BeforeWrite("a/*", Order = 3)|}]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task Duplicate_message_quotes_the_rule() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite("a/*"), {|#0:BeforeWrite("a/*")|}]
                static PolicyAction Check(in PolicyRequest request) => PolicyAction.Allow;
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.DuplicateRule).WithLocation(0)
                .WithMessage("[BeforeWrite(\"a/*\")] is declared twice on 'Check'; the rule would run twice"));

    [Fact]
    public Task Same_pattern_on_two_handlers_is_not_a_duplicate() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            public static partial class Policies
            {
                [BeforeWrite("a/*")]
                static PolicyAction First(in PolicyRequest request) => PolicyAction.Allow;

                [BeforeWrite("a/*")]
                static PolicyAction Second(in PolicyRequest request) => PolicyAction.Allow;
            }
            """);

    [Fact]
    public Task Identical_class_level_rules_are_duplicates_whatever_their_order() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            [DenyAll(PolicyTrigger.BeforeDelete, "a/*")]
            [{|SOCH0008:DenyAll(PolicyTrigger.BeforeDelete, "a/*", Order = 1)|}]
            [DenyAll(PolicyTrigger.BeforeWrite, "a/*")]
            [RequireAgentId(PolicyTrigger.BeforeDelete, {|SOCH0014:"a/*"|})]
            [Redact("u/*", "x")]
            [Redact("u/*", "y")]
            [{|SOCH0008:Redact("u/*", "x")|}]
            [RateLimit(PolicyOperation.Write, 10)]
            [RateLimit(PolicyOperation.Write, 10, Scope = "agent_id")]
            [{|SOCH0008:RateLimit(PolicyOperation.Write, 10, Scope = "global")|}]
            public static partial class Policies
            {
            }
            """);

    [Fact]
    public Task Valid_rate_limits_report_nothing() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            [RateLimit(PolicyOperation.All, 1)]
            [RateLimit(PolicyOperation.Read, 600, Scope = "session_id")]
            [RateLimit(PolicyOperation.Delete, 5, Scope = "item:tenant")]
            public static partial class Policies
            {
            }
            """);

    [Fact]
    public Task Rate_limit_arguments_are_each_reported_on_the_argument() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            [RateLimit(PolicyOperation.Write, {|SOCH0010:0|})]
            [RateLimit(PolicyOperation.Write, {|SOCH0010:-5|})]
            [RateLimit({|SOCH0010:(PolicyOperation)7|}, 10)]
            [RateLimit(PolicyOperation.Read, 10, Scope = {|SOCH0010:""|})]
            [RateLimit(PolicyOperation.Read, 10, Scope = {|SOCH0010:null|})]
            [RateLimit(PolicyOperation.Read, 10, Scope = {|SOCH0010:"  "|})]
            [RateLimit(PolicyOperation.Read, 10, Scope = {|SOCH0010:"agentid"|})]
            [RateLimit(PolicyOperation.Read, 10, Scope = {|SOCH0010:"tenant"|})]
            [RateLimit(PolicyOperation.Read, 10, Scope = {|SOCH0010:"item: "|})]
            public static partial class Policies
            {
            }
            """);

    [Fact]
    public Task Rate_limit_messages_say_what_is_accepted() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [RateLimit({|#0:(PolicyOperation)7|}, {|#1:0|}, Scope = {|#2:""|})]
            public static partial class Policies
            {
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRateLimit).WithLocation(0)
                .WithArguments("operation 7 is not a PolicyOperation; use Read, Write, Delete or All"),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRateLimit).WithLocation(1)
                .WithArguments("maxPerMinute is 0; it must be at least 1 (it is both the bucket's capacity and its refill per minute)"),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRateLimit).WithLocation(2)
                .WithArguments("Scope is empty; use \"global\", \"agent_id\", \"session_id\" or \"item:NAME\" for a custom context item"));

    [Fact]
    public Task Deny_rules_on_after_write_or_after_delete_are_reported_on_the_trigger() =>
        PolicyAnalyzerTest.VerifyAsync("""
            using SochDb.Policy;

            [DenyAll({|SOCH0011:PolicyTrigger.AfterWrite|}, "a/*")]
            [RequireAgentId({|SOCH0011:PolicyTrigger.AfterDelete|}, "a/*")]
            [DenyAll(PolicyTrigger.AfterRead, "a/*")]
            [RequireAgentId(PolicyTrigger.BeforeRead, "a/*")]
            public static partial class Policies
            {
            }
            """);

    [Fact]
    public Task Undefined_trigger_is_reported() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [DenyAll({|#0:(PolicyTrigger)42|}, "a/*")]
            public static partial class Policies
            {
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuleTrigger).WithLocation(0)
                .WithArguments("DenyAll", "42", "42 is not a PolicyTrigger; use BeforeWrite, BeforeRead, AfterRead or BeforeDelete"));

    [Fact]
    public Task Trigger_message_says_why_and_what_is_accepted() =>
        PolicyAnalyzerTest.VerifyAsync(
            """
            using SochDb.Policy;

            [RequireAgentId({|#0:PolicyTrigger.AfterWrite|}, "a/*")]
            public static partial class Policies
            {
            }
            """,
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuleTrigger).WithLocation(0)
                .WithMessage("[RequireAgentId] on AfterWrite can never take effect: AfterWrite rules run after the change is made and cannot refuse it; use BeforeWrite, BeforeRead, AfterRead or BeforeDelete"));
}
