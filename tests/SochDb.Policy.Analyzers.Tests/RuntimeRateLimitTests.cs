using Microsoft.CodeAnalysis.Testing;
using SochDb.Policy.Analyzers.Tests.Infrastructure;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>SOCH0010 at run time: constant arguments of PolicyEngine.AddRateLimit and new RateLimitRule(...) that always throw.</summary>
public sealed class RuntimeRateLimitTests
{
    private static string InMain(string statements) => $$"""
        using System;
        using SochDb;
        using SochDb.Policy;

        static class Program
        {
            const int Zero = 0;
            const string NoScope = "";

            static void Main(string[] args)
            {
                var engine = new PolicyEngine(Database.OpenInMemory());
        {{statements}}
            }
        }
        """;

    [Fact]
    public Task Bad_maxPerMinute_is_reported_on_the_argument() =>
        PolicyAnalyzerTest.VerifyAsync(InMain("""
                    engine.AddRateLimit(PolicyOperation.Write, {|SOCH0010:0|});
                    engine.AddRateLimit("read", {|SOCH0010:-5|}, "agent_id");
                    engine.AddRateLimit(maxPerMinute: {|SOCH0010:Zero|}, operation: PolicyOperation.All);
                    _ = new RateLimitRule(PolicyOperation.Delete, {|SOCH0010:-1|});
            """));

    [Fact]
    public Task Undefined_operation_value_is_reported_on_the_argument() =>
        PolicyAnalyzerTest.VerifyAsync(InMain("""
                    engine.AddRateLimit({|SOCH0010:(PolicyOperation)7|}, 10);
                    _ = new RateLimitRule({|SOCH0010:(PolicyOperation)(-1)|}, 10, "global");
            """));

    [Fact]
    public Task Unknown_or_null_operation_name_is_reported_on_the_argument() =>
        PolicyAnalyzerTest.VerifyAsync(InMain("""
                    engine.AddRateLimit({|SOCH0010:"wirte"|}, 10);
                    engine.AddRateLimit({|SOCH0010:"read "|}, 10);
                    engine.AddRateLimit({|SOCH0010:""|}, 10);
                    engine.AddRateLimit({|SOCH0010:null|}, 10);
                    engine.AddRateLimit(operation: {|SOCH0010:"reads"|}, maxPerMinute: 10);
            """));

    [Fact]
    public Task Null_empty_or_blank_scope_is_reported_on_the_argument() =>
        PolicyAnalyzerTest.VerifyAsync(InMain("""
                    engine.AddRateLimit(PolicyOperation.Read, 10, {|SOCH0010:""|});
                    engine.AddRateLimit("write", 10, scope: {|SOCH0010:"  "|});
                    engine.AddRateLimit(PolicyOperation.Read, 10, {|SOCH0010:null|});
                    _ = new RateLimitRule(PolicyOperation.Read, 10, {|SOCH0010:NoScope|});
            """));

    [Fact]
    public Task An_unknown_scope_is_reported_on_the_argument() =>
        PolicyAnalyzerTest.VerifyAsync(
            InMain("""
                    engine.AddRateLimit(PolicyOperation.Read, 10, {|#0:"agentid"|});
                    engine.AddRateLimit(PolicyOperation.Read, 10, "item:tenant");
                    engine.AddRateLimit(PolicyOperation.Read, 10, RateLimitRule.SessionIdScope);
            """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuntimeRateLimit).WithLocation(0)
                .WithArguments("PolicyEngine.AddRateLimit", "scope \"agentid\" is not a scope; use \"global\", \"agent_id\", \"session_id\" or \"item:NAME\" for a custom context item"));

    [Fact]
    public Task Every_bad_argument_of_one_call_is_reported_with_its_message() =>
        PolicyAnalyzerTest.VerifyAsync(
            InMain("""
                    engine.AddRateLimit({|#0:"wirte"|}, {|#1:0|}, {|#2:""|});
                    _ = new RateLimitRule({|#3:(PolicyOperation)9|}, 5, {|#4:null|});
            """),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuntimeRateLimit).WithLocation(0)
                .WithArguments("PolicyEngine.AddRateLimit", "operation \"wirte\" is not an operation name; use \"read\", \"write\", \"delete\" or \"all\" (any case)"),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuntimeRateLimit).WithLocation(1)
                .WithArguments("PolicyEngine.AddRateLimit", "maxPerMinute is 0; it must be at least 1 (it is both the bucket's capacity and its refill per minute)"),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuntimeRateLimit).WithLocation(2)
                .WithArguments("PolicyEngine.AddRateLimit", "scope is empty; use \"global\", \"agent_id\", \"session_id\" or \"item:NAME\" for a custom context item"),
            ExpectedDiagnostic.Of(DiagnosticDescriptors.InvalidRuntimeRateLimit).WithLocation(3)
                .WithArguments("RateLimitRule", "operation 9 is not a PolicyOperation; use Read, Write, Delete or All"),
            new DiagnosticResult("SOCH0010", Microsoft.CodeAnalysis.DiagnosticSeverity.Error).WithLocation(4)
                .WithMessage("Invalid rate limit passed to 'RateLimitRule': scope is null; use \"global\", \"agent_id\", \"session_id\" or \"item:NAME\" for a custom context item; the call throws at run time"));

    [Fact]
    public Task Valid_constants_report_nothing() =>
        PolicyAnalyzerTest.VerifyAsync(InMain("""
                    engine.AddRateLimit(PolicyOperation.Write, 1);
                    engine.AddRateLimit(PolicyOperation.All, 600, "session_id");
                    engine.AddRateLimit("READ", 10);
                    engine.AddRateLimit("Write", 10, "agent_id");
                    engine.AddRateLimit("delete", int.MaxValue, scope: "item:tenant");
                    engine.AddRateLimit("all", 1);
                    engine.AddRateLimit(new RateLimitRule(PolicyOperation.Read, 100));
                    _ = new RateLimitRule(PolicyOperation.Delete, 5, "item:tenant");
            """));

    [Fact]
    public Task Non_constant_arguments_report_nothing() =>
        PolicyAnalyzerTest.VerifyAsync(InMain("""
                    int limit = args.Length - 1;
                    string name = args[0];
                    var operation = (PolicyOperation)args.Length;
                    engine.AddRateLimit(operation, limit, name);
                    engine.AddRateLimit(name, int.Parse(name), args[1]);
                    engine.AddRateLimit(args[0] + "x", 10, Environment.GetEnvironmentVariable("S") ?? "");
                    _ = new RateLimitRule(operation, limit, name);
            """));
}
