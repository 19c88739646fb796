using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Generators.Tests;

/// <summary>The generated dispatch uses no reflection, delegates, regex, LINQ, boxing or allocation (docs/generator.md; benchmark target T4 in docs/benchmarks.md).</summary>
public class GeneratedCodeRulesTests
{
    private static readonly string[] ForbiddenNamespaces = ["System.Reflection", "System.Linq", "System.Text.RegularExpressions"];

    private static readonly string[] ForbiddenIdentifiers = ["Regex", "Delegate", "MulticastDelegate", "Func", "Action", "Linq", "Reflection", "Invoke", "Activator"];

    [Trait("Category", "Slow")]
    [Fact]
    public void GeneratedCodeUsesNoForbiddenApi()
    {
        GeneratorResult result = GeneratorHarness.Run(TestSources.DesignSample, TestSources.ClassLevelAndOrdering, TestSources.ManyTenants, WideClass(70));
        SyntaxTree[] generated = result.Output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".Policies.g.cs", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, generated.Length);
        foreach (SyntaxTree tree in generated)
        {
            SemanticModel model = result.Output.GetSemanticModel(tree);
            SyntaxNode root = tree.GetRoot();
            Assert.Empty(root.DescendantNodes().OfType<UsingDirectiveSyntax>());
            foreach (SyntaxNode node in root.DescendantNodes())
            {
                string where = $"{Path.GetFileName(tree.FilePath)}:{node.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: {node}";
                Assert.False(node is LambdaExpressionSyntax or AnonymousMethodExpressionSyntax or LocalFunctionStatementSyntax, "closure at " + where);
                Assert.False(node is QueryExpressionSyntax, "LINQ query at " + where);
                if (node is BaseObjectCreationExpressionSyntax or ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax
                    or CollectionExpressionSyntax or AnonymousObjectCreationExpressionSyntax
                    || (node is InitializerExpressionSyntax && node.Parent is EqualsValueClauseSyntax))
                {
                    Assert.True(InStaticInitializer(node), "allocation outside a static initializer at " + where);
                }

                if (node is ExpressionSyntax expression)
                {
                    Assert.False(model.GetConversion(expression).IsBoxing, "boxing at " + where);
                }

                if (node is SimpleNameSyntax name)
                {
                    Assert.DoesNotContain(name.Identifier.ValueText, ForbiddenIdentifiers);
                    ISymbol? symbol = model.GetSymbolInfo(name).Symbol;
                    string ns = symbol?.ContainingNamespace?.ToDisplayString() ?? "";
                    Assert.False(ForbiddenNamespaces.Any(f => ns.StartsWith(f, StringComparison.Ordinal)), $"{ns} used at {where}");
                    Assert.False(symbol is INamedTypeSymbol { TypeKind: TypeKind.Delegate }, "delegate type at " + where);
                }
            }
        }
    }

    [Fact]
    public void EvaluatingTheAllowedPathAllocatesNothing()
    {
        GeneratorResult result = GeneratorHarness.Run(TestSources.DesignSample, TestSources.ClassLevelAndOrdering, TestSources.ManyTenants, WideClass(70));
        Assembly assembly = GeneratorHarness.Load(result.Output);
        CompiledPolicySet design = GeneratorHarness.CompiledSet(assembly, "AgentGuard.AgentPolicies");
        CompiledPolicySet inner = GeneratorHarness.CompiledSet(assembly, "Contoso.Agents.Outer+Inner");
        CompiledPolicySet tenants = GeneratorHarness.CompiledSet(assembly, "TenantPolicies");
        CompiledPolicySet wide = GeneratorHarness.CompiledSet(assembly, "Wide");
        var agent = new PolicyContext { AgentId = "agent_001" }.With("admin", "yes");
        var anonymous = PolicyContext.Empty;

        // Each case is on the allowed path and goes through a different kind of generated test.
        var cases = new (CompiledPolicySet Set, PolicyTrigger Trigger, byte[] Key, PolicyContext Context)[]
        {
            (design, PolicyTrigger.BeforeWrite, "system/config"u8.ToArray(), anonymous),
            (design, PolicyTrigger.AfterRead, "users/alice/email"u8.ToArray(), anonymous),
            (design, PolicyTrigger.BeforeWrite, "other/key"u8.ToArray(), agent),
            (inner, PolicyTrigger.BeforeWrite, "config/app.json"u8.ToArray(), agent),
            (inner, PolicyTrigger.BeforeWrite, "logs/2024/entry"u8.ToArray(), agent),
            (inner, PolicyTrigger.BeforeRead, "a/b/secret"u8.ToArray(), agent),
            (inner, PolicyTrigger.BeforeRead, "users/alice/photo"u8.ToArray(), agent),
            (inner, PolicyTrigger.AfterWrite, "x.json"u8.ToArray(), agent),
            (tenants, PolicyTrigger.BeforeWrite, "tenant-b/data/x"u8.ToArray(), agent),
            (tenants, PolicyTrigger.BeforeWrite, "prefix-1-suffix"u8.ToArray(), agent),
            (wide, PolicyTrigger.BeforeWrite, "t69/x"u8.ToArray(), agent),
        };
        byte[] value = "{}"u8.ToArray();
        for (int warmup = 0; warmup < 3; warmup++)
        {
            EvaluateAll(cases, value, 100);
        }

        int evaluated = 0;
        long allocated = Allocations.Minimum(() => evaluated = EvaluateAll(cases, value, 1_000));
        Assert.Equal(11_000, evaluated);
        Assert.Equal(0, allocated);
    }

    private static int EvaluateAll((CompiledPolicySet Set, PolicyTrigger Trigger, byte[] Key, PolicyContext Context)[] cases, byte[] value, int rounds)
    {
        int count = 0;
        for (int round = 0; round < rounds; round++)
        {
            foreach (var c in cases)
            {
                var evaluation = new PolicyEvaluation(c.Trigger, c.Key, value, c.Context);
                c.Set.Evaluate(ref evaluation);
                if (evaluation.IsDenied || evaluation.IsModified)
                {
                    throw new InvalidOperationException($"{c.Set} {c.Trigger} on {System.Text.Encoding.UTF8.GetString(c.Key)} was not allowed");
                }

                count++;
            }
        }

        return count;
    }

    /// <summary>A class with more than 64 literal first segments on one trigger, so the split literal descent is covered.</summary>
    [Fact]
    public void Defect6_EveryPrivateMethodOfAGeneratedFileIsCalled_NoDeadHelpers()
    {
        const string deepOnly = """
            using SochDb.Policy;

            namespace Deep;

            public static partial class DeepPolicies
            {
                [BeforeWrite("**/secret")]
                static PolicyAction Secrets(in PolicyRequest request) => PolicyAction.Deny;
            }
            """;
        GeneratorResult result = GeneratorHarness.Run(
            TestSources.DesignSample, TestSources.ClassLevelAndOrdering, TestSources.ManyTenants, TestSources.MixedShapes,
            TestSources.CrowdedAnchors, deepOnly);
        SyntaxTree[] generated = result.Output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".Policies.g.cs", StringComparison.Ordinal)).ToArray();
        Assert.Equal(6, generated.Length);
        foreach (SyntaxTree tree in generated)
        {
            SyntaxNode root = tree.GetRoot();
            var called = root.DescendantNodes().OfType<InvocationExpressionSyntax>()
                .Select(call => call.Expression switch
                {
                    IdentifierNameSyntax name => name.Identifier.Text,
                    GenericNameSyntax name => name.Identifier.Text,
                    _ => null,
                })
                .Where(name => name is not null)
                .ToHashSet();
            foreach (MethodDeclarationSyntax method in root.DescendantNodes().OfType<MethodDeclarationSyntax>()
                .Where(m => m.Modifiers.Any(SyntaxKind.PrivateKeyword)))
            {
                Assert.True(called.Contains(method.Identifier.Text), $"{Path.GetFileName(tree.FilePath)} declares {method.Identifier.Text} and never calls it");
            }
        }

        string deep = result.Source("Deep.DeepPolicies.Policies.g.cs");
        Assert.DoesNotContain("StartsWith(", deep);
        Assert.DoesNotContain("EndsWith(", deep);
    }

    internal static string WideClass(int count)
    {
        var text = new System.Text.StringBuilder("using SochDb.Policy;\npublic static partial class Wide\n{\n");
        for (int i = 0; i < count; i++)
        {
            text.Append($"    [BeforeWrite(\"t{i}/*\")] static PolicyAction H{i}(in PolicyRequest r) => PolicyAction.Allow;\n");
        }

        return text.Append("}\n").ToString();
    }

    private static bool InStaticInitializer(SyntaxNode node)
    {
        foreach (SyntaxNode ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case FieldDeclarationSyntax field:
                    return field.Modifiers.Any(SyntaxKind.StaticKeyword);
                case PropertyDeclarationSyntax property:
                    return property.Modifiers.Any(SyntaxKind.StaticKeyword) && property.Initializer is not null && node.Ancestors().Contains(property.Initializer);
                case MethodDeclarationSyntax or ConstructorDeclarationSyntax or AccessorDeclarationSyntax:
                    return false;
            }
        }

        return false;
    }
}
