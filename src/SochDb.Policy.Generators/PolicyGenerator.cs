using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using SochDb.Policy.Generators.Model;

namespace SochDb.Policy.Generators;

/// <summary>
/// Compiles the policy attributes of each partial type into a <c>CompiledPolicySet</c> with a
/// zero-reflection dispatch table (docs/generator.md). Pipeline: parse each attribute into equatable rule specs,
/// collect and group them by type, plan the dispatch trie, emit one file per type.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class PolicyGenerator : IIncrementalGenerator
{
    private const string AttributeNamespace = "SochDb.Policy.";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // The attributes themselves: in the compilation before any syntax provider runs, so the lookups by metadata name
        // below find them (PolicyAttributesSource.cs).
        context.RegisterPostInitializationOutput(static output => output.AddSource(PolicyAttributesSource.HintName, PolicyAttributesSource.Text));

        IncrementalValueProvider<EquatableArray<RuleSource>> all = Empty(context);
        foreach (PolicyTriggerKind trigger in Triggers)
        {
            all = Append(all, context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    AttributeNamespace + trigger + "Attribute",
                    Parser.IsHandlerTarget,
                    (ctx, ct) => Parser.ParseHandler(ctx, trigger, ct))
                .WithTrackingName(StepNames.HandlerRules));
        }

        foreach ((string attribute, RuleKind kind) in ClassLevelAttributes)
        {
            all = Append(all, context.SyntaxProvider
                .ForAttributeWithMetadataName(AttributeNamespace + attribute, Parser.IsType, (ctx, ct) => Parser.ParseClassLevel(ctx, kind, ct))
                .WithTrackingName(StepNames.ClassRules));
        }

        IncrementalValuesProvider<PolicySetSpec> sets = all
            .WithTrackingName(StepNames.AllRules)
            .SelectMany((sources, ct) => GroupByType(sources, ct))
            .WithTrackingName(StepNames.PolicySets);

        context.RegisterSourceOutput(sets, static (output, spec) =>
            output.AddSource(PolicyEmitter.HintName(spec.Type), PolicyEmitter.Emit(DispatchPlanner.Plan(spec))));

        // Attributes that cannot be compiled fail the build here, whatever severity the analyzers were given: an invalid
        // pattern as SOCH0001 itself (not configurable, so the one error it shows), anything else as an #error beside the
        // analyzer diagnostic that explains it.
        IncrementalValueProvider<EquatableArray<RejectedRule>> rejected = all
            .Select(static (sources, ct) => CollectRejected(sources, ct))
            .WithTrackingName(StepNames.RejectedRules);
        context.RegisterSourceOutput(rejected, static (output, rules) =>
        {
            bool directives = false;
            foreach (RejectedRule rule in rules)
            {
                if (rule.InvalidPattern is { } invalid)
                {
                    output.ReportDiagnostic(invalid.ToDiagnostic());
                }
                else
                {
                    directives = true;
                }
            }

            if (directives)
            {
                output.AddSource(RejectionEmitter.HintName, RejectionEmitter.Emit(rules));
            }
        });
    }

    private static readonly PolicyTriggerKind[] Triggers =
    {
        PolicyTriggerKind.BeforeWrite, PolicyTriggerKind.AfterWrite, PolicyTriggerKind.BeforeRead,
        PolicyTriggerKind.AfterRead, PolicyTriggerKind.BeforeDelete, PolicyTriggerKind.AfterDelete,
    };

    // RuleKind.Handler stands for [RateLimit]: it adds no dispatch rule, only a rate limit.
    private static readonly (string Attribute, RuleKind Kind)[] ClassLevelAttributes =
    {
        ("DenyAllAttribute", RuleKind.DenyAll),
        ("RequireAgentIdAttribute", RuleKind.RequireAgentId),
        ("RedactAttribute", RuleKind.Redact),
        ("RequireApprovalAttribute", RuleKind.RequireApproval),
        ("RateLimitAttribute", RuleKind.Handler),
    };

    private static IncrementalValueProvider<EquatableArray<RuleSource>> Empty(IncrementalGeneratorInitializationContext context) =>
        context.CompilationProvider.Select(static (_, _) => EquatableArray<RuleSource>.Empty);

    private static IncrementalValueProvider<EquatableArray<RuleSource>> Append(
        IncrementalValueProvider<EquatableArray<RuleSource>> all, IncrementalValuesProvider<RuleSource?> more) =>
        all.Combine(more.Where(static s => s is not null).Select(static (s, _) => s!).Collect())
            .Select(static (pair, _) => Concat(pair.Left, pair.Right));

    private static EquatableArray<RuleSource> Concat(EquatableArray<RuleSource> left, ImmutableArray<RuleSource> right)
    {
        if (right.IsEmpty)
        {
            return left;
        }

        var items = new RuleSource[left.Length + right.Length];
        for (int i = 0; i < left.Length; i++)
        {
            items[i] = left[i];
        }

        right.CopyTo(items, left.Length);
        return new EquatableArray<RuleSource>(items);
    }

    /// <summary>One spec per type, types in ordinal order of full name, rules in dispatch order.</summary>
    internal static ImmutableArray<PolicySetSpec> GroupByType(EquatableArray<RuleSource> sources, CancellationToken cancellationToken)
    {
        var byType = new Dictionary<string, (TypeSpec Type, List<RuleSpec> Rules, List<RateLimitSpec> Limits)>(StringComparer.Ordinal);
        foreach (RuleSource source in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (source.Type is not { } type || (source.Rules.Length == 0 && source.RateLimits.Length == 0))
            {
                // Nothing to compile from this source (what it declared is rejected, see CollectRejected).
                continue;
            }

            string key = type.FullName;
            if (!byType.TryGetValue(key, out var group))
            {
                group = (type, new List<RuleSpec>(), new List<RateLimitSpec>());
                byType.Add(key, group);
            }

            group.Rules.AddRange(source.Rules);
            group.Limits.AddRange(source.RateLimits);
        }

        var names = new List<string>(byType.Keys);
        names.Sort(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<PolicySetSpec>(names.Count);
        foreach (string name in names)
        {
            var group = byType[name];
            RuleSpec[] rules = group.Rules.ToArray();

            // Dispatch order: by Order, then declaration order. A stable sort by both keys at once.
            Array.Sort(rules, static (a, b) =>
            {
                int c = a.Order.CompareTo(b.Order);
                return c != 0 ? c : a.Declaration.CompareTo(b.Declaration);
            });
            RateLimitSpec[] limits = group.Limits.ToArray();
            Array.Sort(limits, static (a, b) => a.Declaration.CompareTo(b.Declaration));
            result.Add(new PolicySetSpec(group.Type, new EquatableArray<RuleSpec>(rules), new EquatableArray<RateLimitSpec>(limits)));
        }

        return result.MoveToImmutable();
    }

    /// <summary>Every rejected attribute of the compilation, in ordinal order of target, then attribute, then reason.</summary>
    internal static EquatableArray<RejectedRule> CollectRejected(EquatableArray<RuleSource> sources, CancellationToken cancellationToken)
    {
        var rejected = new List<RejectedRule>();
        foreach (RuleSource source in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rejected.AddRange(source.Rejected);
        }

        rejected.Sort(static (a, b) =>
        {
            int c = string.CompareOrdinal(a.Target, b.Target);
            if (c == 0)
            {
                c = string.CompareOrdinal(a.Attribute, b.Attribute);
            }

            return c != 0 ? c : string.CompareOrdinal(a.Reason, b.Reason);
        });
        return new EquatableArray<RejectedRule>(rejected.ToArray());
    }
}
