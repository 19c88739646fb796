using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using SochDb.Policy.Generators.Model;

namespace SochDb.Policy.Generators.Tests;

/// <summary>The pipeline models hold no ISymbol, SyntaxNode, Location or Compilation (they would defeat caching and pin memory).</summary>
public class ModelPurityTests
{
    private static readonly Type[] Forbidden =
        [typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(AttributeData), typeof(SyntaxReference)];

    [Fact]
    public void ModelTypesDeclareNoRoslynObject()
    {
        var seen = new HashSet<Type>();
        Type[] models = typeof(PolicySetSpec).Assembly.GetTypes().Where(t => t.Namespace == typeof(PolicySetSpec).Namespace).ToArray();
        Assert.Contains(typeof(RuleSource), models);
        foreach (Type type in models)
        {
            Walk(type, type.Name, seen);
        }

        Assert.Contains(typeof(RuleSpec), seen);
        Assert.Contains(typeof(TypeSpec), seen);
    }

    [Fact]
    public void EveryTrackedStepOutputIsARoslynFreeValue()
    {
        GeneratorResult result = GeneratorHarness.Run(TestSources.ClassLevelAndOrdering, TestSources.DesignSample);
        GeneratorRunResult run = result.RunResult.Results.Single();
        int checkedValues = 0;
        foreach (string step in new[] { StepNames.HandlerRules, StepNames.ClassRules, StepNames.AllRules, StepNames.PolicySets })
        {
            foreach (var output in run.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                if (output.Value is not null)
                {
                    WalkValue(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                    checkedValues++;
                }
            }
        }

        Assert.True(checkedValues >= 4);
    }

    private static void Walk(Type type, string path, HashSet<Type> seen)
    {
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} is a {type}");
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || !seen.Add(type))
        {
            return;
        }

        if (type.IsArray)
        {
            Walk(type.GetElementType()!, path + "[]", seen);
            return;
        }

        foreach (Type argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            Walk(argument, path + "<" + argument.Name + ">", seen);
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Type fieldType = field.FieldType.IsGenericParameter ? typeof(object) : field.FieldType;
            Walk(fieldType, path + "." + field.Name, seen);
        }
    }

    private static void WalkValue(object value, string path, HashSet<object> seen)
    {
        Type type = value.GetType();
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} holds a {type}");
        if (type.IsPrimitive || type.IsEnum || value is string || (!type.IsValueType && !seen.Add(value)))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (object? item in items)
            {
                if (item is not null)
                {
                    WalkValue(item, path + "[" + i++ + "]", seen);
                }
            }
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (field.GetValue(value) is { } child)
            {
                WalkValue(child, path + "." + field.Name, seen);
            }
        }
    }
}
