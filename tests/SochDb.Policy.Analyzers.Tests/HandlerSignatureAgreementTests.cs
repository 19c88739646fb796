using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using SochDb.Policy.Analyzers.Tests.Infrastructure;
using SochDb.Policy.Generators;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Analyzers.Tests;

/// <summary>
/// The generator and the analyzers judge handler signatures with one definition: for a matrix of method shapes on
/// every trigger, the generated dispatch calls a handler (and lists its rule) exactly when the analyzers report no
/// SOCH0002–SOCH0005 error for it. A handler the IDE accepts but the dispatch skips would never run; a handler the
/// dispatch skips is named in an <c>#error</c> of the generated code, so the build fails even with the analyzers silenced.
/// </summary>
public sealed class HandlerSignatureAgreementTests
{
    private static readonly string[] HandlerDiagnosticIds = ["SOCH0002", "SOCH0003", "SOCH0004", "SOCH0005"];

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>The generated file holding the #error list (the generator's RejectionEmitter.HintName).</summary>
    private const string RejectedRulesFile = "SochDb.Policy.RejectedRules.g.cs";

    /// <summary>A parameter list, and whether the documented handler shapes (docs/semantics.md) let the dispatch call it.</summary>
    private sealed record ParameterList(string Text, bool Callable, bool AllowedInAsync = false, bool AssignsOut = false);

    private static readonly ParameterList[] ParameterLists =
    [
        new("(in PolicyRequest request)", Callable: true),
        new("(PolicyRequest request)", Callable: true),
        new("(PolicyRequest request = default)", Callable: true),
        new("(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context)", Callable: true),
        new("(ref PolicyRequest request)", Callable: false),
        new("(out PolicyRequest request)", Callable: false, AssignsOut: true),
        new("(ref readonly PolicyRequest request)", Callable: false),
        new("(in ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context)", Callable: false),
        new("(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, in PolicyContext context)", Callable: false),
        new("(ReadOnlySpan<char> key, ReadOnlySpan<byte> value, PolicyContext context)", Callable: false),
        new("(ReadOnlySpan<byte> key, PolicyContext context)", Callable: false),
        new("(in PolicyRequest request, int extra)", Callable: false),
        new("()", Callable: false, AllowedInAsync: true),
        new("(string key)", Callable: false, AllowedInAsync: true),
        new("(byte[] key, byte[] value, PolicyContext context)", Callable: false, AllowedInAsync: true),
    ];

    /// <summary>A return type with a body that compiles, and which triggers the documented handler shapes let a handler return it on.</summary>
    private sealed record ReturnType(string Text, string Body, string AsyncBody, params string[] Triggers);

    private static readonly ReturnType[] ReturnTypes =
    [
        new("PolicyAction", "return PolicyAction.Allow;", "", "BeforeWrite", "BeforeRead", "BeforeDelete", "AfterRead"),
        new("PolicyDecision", "return PolicyDecision.Allow;", "", "BeforeWrite", "AfterRead"),
        new("void", "", "await Task.Yield();", "AfterWrite", "AfterDelete"),
        new("bool", "return true;", ""),
        new("PolicyAction?", "return null;", ""),
        new("ref PolicyAction", "return ref s_action;", ""),
        new("ref readonly PolicyAction", "return ref s_action;", ""),
        new("Task", "return Task.CompletedTask;", "await Task.Yield();"),
        new("Task<PolicyAction>", "return Task.FromResult(PolicyAction.Allow);", "await Task.Yield(); return PolicyAction.Allow;"),
        new("ValueTask", "return default;", "await Task.Yield();"),
        new("ValueTask<PolicyAction>", "return new ValueTask<PolicyAction>(PolicyAction.Allow);", "await Task.Yield(); return PolicyAction.Allow;"),
    ];

    private static readonly string[] AllTriggers = ["BeforeWrite", "AfterWrite", "BeforeRead", "AfterRead", "BeforeDelete", "AfterDelete"];

    public static TheoryData<string> Triggers { get; } = new(AllTriggers);

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Triggers))]
    public void GeneratorCallsAHandlerExactlyWhenTheAnalyzersAcceptIt(string trigger)
    {
        var shapes = new List<Shape>();
        foreach (bool isStatic in new[] { true, false })
        {
            foreach (bool isGeneric in new[] { false, true })
            {
                foreach (bool isAsync in new[] { false, true })
                {
                    foreach (ParameterList parameters in ParameterLists)
                    {
                        foreach (ReturnType returns in ReturnTypes)
                        {
                            // Only shapes the compiler accepts: an async method takes no ref struct or by-ref
                            // parameter and returns void or a task.
                            if (isAsync && (!parameters.AllowedInAsync || returns.AsyncBody.Length == 0))
                            {
                                continue;
                            }

                            bool expected = isStatic && !isGeneric && !isAsync && parameters.Callable && returns.Triggers.Contains(trigger);
                            shapes.Add(new Shape("Policies", $"H{shapes.Count:D4}", isStatic, isGeneric, isAsync, false, parameters, returns, [trigger], expected));
                        }
                    }
                }
            }
        }

        // Extension methods need a static class; the dispatch calls a handler as a plain static method, and an
        // extension's `this` parameter is not one of the accepted lists.
        foreach (ParameterList parameters in ParameterLists.Where(p => p.Callable && !p.Text.Contains("= default")))
        {
            foreach (ReturnType returns in ReturnTypes.Take(3))
            {
                shapes.Add(new Shape("Extensions", $"E{shapes.Count:D4}", true, false, false, true, parameters, returns, [trigger], false));
            }
        }

        Verdicts verdicts = Judge(shapes);

        AssertAgreement(shapes, verdicts);
        Assert.Equal(
            shapes.Where(s => s.Expected).Select(s => s.Name).Order(),
            shapes.Where(s => verdicts.Calls(s, trigger)).Select(s => s.Name).Order());
        Assert.Contains(shapes, s => s.Expected);
        Assert.Contains(shapes, s => !s.Expected);
    }

    /// <summary>
    /// With several triggers on one method, the return type may suit some and not others: the dispatch calls it for a
    /// trigger exactly when no trigger-independent error is reported and SOCH0004 does not name that trigger.
    /// </summary>
    [Fact]
    public void GeneratorAndAnalyzersAgreeTriggerByTriggerOnAHandlerWithSeveralTriggers()
    {
        string[] triggers = AllTriggers;
        var shapes = new List<Shape>();
        for (int first = 0; first < triggers.Length; first++)
        {
            for (int second = first + 1; second < triggers.Length; second++)
            {
                foreach (ParameterList parameters in ParameterLists.Where(p => p.Text is "(in PolicyRequest request)" or "(string key)"))
                {
                    foreach (ReturnType returns in ReturnTypes.Take(4))
                    {
                        string[] pair = [triggers[first], triggers[second]];
                        bool expected = parameters.Callable && pair.All(t => returns.Triggers.Contains(t));
                        shapes.Add(new Shape("Policies", $"M{shapes.Count:D4}", true, false, false, false, parameters, returns, pair, expected));
                    }
                }
            }
        }

        Verdicts verdicts = Judge(shapes);

        AssertAgreement(shapes, verdicts);
        foreach (Shape shape in shapes)
        {
            foreach (string trigger in shape.Triggers)
            {
                bool fits = shape.Parameters.Callable && shape.Return.Triggers.Contains(trigger);
                Assert.True(fits == verdicts.Calls(shape, trigger), $"{shape.Describe()} on [{trigger}]: expected the dispatch {(fits ? "to call" : "not to call")} it");
            }
        }
    }

    /// <summary>For every shape and each of its triggers: a rule and a call exist exactly when no error names that trigger.</summary>
    private static void AssertAgreement(List<Shape> shapes, Verdicts verdicts)
    {
        var disagreements = new List<string>();
        foreach (Shape shape in shapes)
        {
            ImmutableArray<Diagnostic> reported = verdicts.Diagnostics(shape);
            bool calledAtAll = false;
            foreach (string trigger in shape.Triggers)
            {
                bool rejected = reported.Any(d => d.Id != "SOCH0004" || d.GetMessage().Contains("[" + trigger + "]", StringComparison.Ordinal));
                bool listed = verdicts.Calls(shape, trigger);
                calledAtAll |= listed;
                if (rejected == listed)
                {
                    disagreements.Add(
                        $"{shape.Describe()} on [{trigger}]: the analyzers report {(rejected ? string.Join(", ", reported.Select(d => d.Id)) : "nothing")}, " +
                        $"yet the generated rule table {(listed ? "lists" : "does not list")} it");
                }
            }

            foreach (string trigger in shape.Triggers)
            {
                bool rejected = reported.Any(d => d.Id != "SOCH0004" || d.GetMessage().Contains("[" + trigger + "]", StringComparison.Ordinal));
                if (rejected != verdicts.Rejected.Contains((shape.Container + "." + shape.Name, trigger)))
                {
                    disagreements.Add(
                        $"{shape.Describe()} on [{trigger}]: the analyzers report {(rejected ? string.Join(", ", reported.Select(d => d.Id)) : "nothing")}, " +
                        $"yet the generated #error list {(rejected ? "does not name" : "names")} it");
                }
            }

            if (calledAtAll != verdicts.Invoked.Contains(shape.Name))
            {
                disagreements.Add($"{shape.Describe()}: the rule table and the generated calls disagree");
            }
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {shapes.Count} shapes disagree:\n" + string.Join("\n", disagreements));
    }

    /// <summary>Runs the generator and then every analyzer over the generated compilation, as a build does.</summary>
    private static Verdicts Judge(List<Shape> shapes)
    {
        CSharpCompilation input = CSharpCompilation.Create(
            "Agreement",
            [CSharpSyntaxTree.ParseText(Source(shapes), ParseOptions, path: "Handlers.cs")],
            [.. Basic.Reference.Assemblies.Net100.References.All, PolicyTestReferences.Runtime],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        // The handlers compile, given the attributes (which the generator adds below).
        Assert.Empty(input.AddSyntaxTrees(CSharpSyntaxTree.ParseText(PolicyTestReferences.AttributeSource, ParseOptions))
            .GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        CSharpGeneratorDriver.Create([new PolicyGenerator().AsSourceGenerator()], parseOptions: ParseOptions)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);

        // The #error list of rejected handlers is read, then set aside so the dispatch itself can be compiled and loaded.
        SyntaxTree? rejectedTree = output.SyntaxTrees.SingleOrDefault(t => t.FilePath.EndsWith(RejectedRulesFile, StringComparison.Ordinal));
        HashSet<(string Target, string Trigger)> rejected = RejectedHandlers(rejectedTree);
        if (rejectedTree is not null)
        {
            Assert.All(output.GetDiagnostics().Where(d => d.Location.SourceTree == rejectedTree), d => Assert.Equal("CS1029", d.Id));
            output = output.RemoveSyntaxTrees(rejectedTree);
        }

        // Every call the generator emitted binds and compiles.
        Diagnostic[] errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, "The generated code does not compile:\n" + string.Join("\n", errors.Take(20)));

        ImmutableArray<Diagnostic> analyzerDiagnostics = output
            .WithAnalyzers(PolicyAnalyzerTest.AllAnalyzers)
            .GetAnalyzerDiagnosticsAsync()
            .GetAwaiter()
            .GetResult();
        Assert.Empty(analyzerDiagnostics.Where(d => !HandlerDiagnosticIds.Contains(d.Id)));

        SyntaxTree handlers = input.SyntaxTrees.Single();
        Dictionary<string, ImmutableArray<Diagnostic>> byMethod = analyzerDiagnostics
            .GroupBy(d => EnclosingMethod(handlers, d))
            .ToDictionary(g => g.Key, g => g.ToImmutableArray());

        return new Verdicts(byMethod, InvokedHandlers(output, handlers), RuleTable(output, shapes), rejected);
    }

    /// <summary>(target, trigger) of each <c>#error SochDb.Policy: [Trigger("...")] on Container.Method is not compiled: ...</c> line.</summary>
    private static HashSet<(string Target, string Trigger)> RejectedHandlers(SyntaxTree? tree)
    {
        var rejected = new HashSet<(string, string)>();
        foreach (string line in tree?.GetText().Lines.Select(l => l.ToString()) ?? [])
        {
            System.Text.RegularExpressions.Match match = System.Text.RegularExpressions.Regex.Match(
                line, @"^#error SochDb\.Policy: \[(?<trigger>\w+)\(.*\)\] on (?<target>[\w.]+) is not compiled: .+ \(SOCH00\d\d\)$");
            Assert.True(match.Success || !line.StartsWith("#error", StringComparison.Ordinal), "unexpected #error line: " + line);
            if (match.Success)
            {
                rejected.Add((match.Groups["target"].Value, match.Groups["trigger"].Value));
            }
        }

        return rejected;
    }

    private static string EnclosingMethod(SyntaxTree handlers, Diagnostic diagnostic)
    {
        Assert.Same(handlers, diagnostic.Location.SourceTree);
        return diagnostic.Location.SourceTree!.GetRoot().FindNode(diagnostic.Location.SourceSpan)
            .AncestorsAndSelf().OfType<MethodDeclarationSyntax>().First().Identifier.ValueText;
    }

    /// <summary>The handler methods the generated code calls, found by binding every invocation in it.</summary>
    private static HashSet<string> InvokedHandlers(Compilation output, SyntaxTree handlers)
    {
        var invoked = new HashSet<string>(StringComparer.Ordinal);
        foreach (SyntaxTree generated in output.SyntaxTrees.Where(t => t != handlers))
        {
            SemanticModel model = output.GetSemanticModel(generated);
            foreach (InvocationExpressionSyntax call in generated.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (model.GetSymbolInfo(call).Symbol is IMethodSymbol { ContainingType.Name: "Policies" or "Extensions" } method)
                {
                    invoked.Add(method.Name);
                }
            }
        }

        return invoked;
    }

    /// <summary>The rule table of each generated set, read at run time from <c>Compiled.Rules</c>: (handler name, trigger) pairs.</summary>
    private static HashSet<(string Handler, string Trigger)> RuleTable(Compilation output, List<Shape> shapes)
    {
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Take(20)));
        stream.Position = 0;
        var context = new AssemblyLoadContext("agreement-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromStream(stream);
            var rules = new HashSet<(string, string)>();
            foreach (string container in shapes.Select(s => s.Container).Distinct())
            {
                PropertyInfo? compiled = assembly.GetType(container)!.GetProperty("Compiled", BindingFlags.Public | BindingFlags.Static);
                if (compiled?.GetValue(null) is CompiledPolicySet set)
                {
                    foreach (PolicyRuleInfo rule in set.Rules)
                    {
                        rules.Add((rule.HandlerName[(rule.HandlerName.LastIndexOf('.') + 1)..], rule.Trigger.ToString()));
                    }
                }
            }

            return rules;
        }
        finally
        {
            context.Unload();
        }
    }

    private static string Source(List<Shape> shapes)
    {
        var source = new StringBuilder("""
            using System;
            using System.Threading.Tasks;
            using SochDb.Policy;

            """);
        foreach (IGrouping<string, Shape> container in shapes.GroupBy(s => s.Container))
        {
            source.AppendLine(container.Key == "Extensions" ? "public static partial class Extensions" : "public partial class " + container.Key);
            source.AppendLine("{");
            source.AppendLine("    private static PolicyAction s_action;");
            foreach (Shape shape in container)
            {
                source.AppendLine(shape.Declaration());
            }

            source.AppendLine("}");
        }

        return source.ToString();
    }

    private sealed record Shape(
        string Container,
        string Name,
        bool IsStatic,
        bool IsGeneric,
        bool IsAsync,
        bool IsExtension,
        ParameterList Parameters,
        ReturnType Return,
        string[] Triggers,
        bool Expected)
    {
        private string Modifiers => (IsStatic ? "static " : "") + (IsAsync ? "async " : "");

        private string ParameterText => IsExtension ? "(this " + Parameters.Text[1..] : Parameters.Text;

        public string Describe() =>
            $"{Name}: {Modifiers}{Return.Text} {(IsGeneric ? "<T>" : "")}{ParameterText} [{string.Join(", ", Triggers)}]";

        public string Declaration()
        {
            var text = new StringBuilder();
            foreach (string trigger in Triggers)
            {
                // A pattern per method and trigger: no two rules are alike.
                text.AppendLine($"    [{trigger}(\"{Name}/{trigger}/*\")]");
            }

            string body = (Parameters.AssignsOut ? "request = default; " : "") + (IsAsync ? Return.AsyncBody : Return.Body);
            text.Append($"    {Modifiers}{Return.Text} {Name}{(IsGeneric ? "<T>" : "")}{ParameterText} {{ {body} }}");
            return text.ToString();
        }
    }

    private sealed record Verdicts(
        Dictionary<string, ImmutableArray<Diagnostic>> ByMethod,
        HashSet<string> Invoked,
        HashSet<(string Handler, string Trigger)> Rules,
        HashSet<(string Target, string Trigger)> Rejected)
    {
        public ImmutableArray<Diagnostic> Diagnostics(Shape shape) => ByMethod.TryGetValue(shape.Name, out var found) ? found : [];

        public bool Calls(Shape shape, string trigger) => Rules.Contains((shape.Name, trigger));
    }
}
