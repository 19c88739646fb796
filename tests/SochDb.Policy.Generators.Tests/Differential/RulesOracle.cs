using System.Text;
using SochDb.Policy.Matching;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Generators.Tests.Differential;

/// <summary>One rule of a class in dispatch order, as the contract says it must run.</summary>
internal sealed record ExpectedRule(PolicyRuleInfo Info, GlobMatcher Matcher, HandlerModel? Handler, ClassRuleModel? ClassRule);

/// <summary>The outcome of one evaluation, comparable as text.</summary>
internal sealed record Outcome(string Text);

/// <summary>
/// The reference path: every rule in dispatch order, GlobMatcher.IsMatch on the key, and a PolicyEvaluation driven
/// exactly as CompiledPolicySet.Evaluate documents (Enter before each handler, stop when Apply says so).
/// </summary>
internal static class RulesOracle
{
    /// <summary>Class-level attributes first in attribute order, then methods in source order and their attributes in order; then a stable sort by Order.</summary>
    public static List<ExpectedRule> DispatchOrder(ClassModel model)
    {
        var declared = new List<ExpectedRule>();
        foreach (ClassRuleModel rule in model.ClassRules)
        {
            string name = "[" + rule.Kind + "]";
            declared.Add(new ExpectedRule(new PolicyRuleInfo(rule.Trigger, rule.Pattern, name, rule.Order), GlobMatcher.Compile(rule.Pattern), null, rule));
        }

        foreach (HandlerModel handler in model.Handlers)
        {
            foreach (Attribute attribute in handler.Attributes)
            {
                declared.Add(new ExpectedRule(
                    new PolicyRuleInfo(handler.Trigger, attribute.Pattern, model.Name + ".H" + handler.Id, attribute.Order),
                    GlobMatcher.Compile(attribute.Pattern), handler, null));
            }
        }

        return declared.OrderBy(r => r.Info.Order).ToList();
    }

    public static Outcome Evaluate(List<ExpectedRule> rules, PolicyTrigger trigger, byte[] key, byte[] value, PolicyContext context)
    {
        var calls = new List<int>();
        var evaluation = new PolicyEvaluation(trigger, key, value, context);
        string? failure = null;
        try
        {
            foreach (ExpectedRule rule in rules)
            {
                if (rule.Info.Trigger != trigger || !rule.Matcher.IsMatch(key))
                {
                    continue;
                }

                evaluation.Enter(rule.Info);
                PolicyDecision decision = rule.Handler is { } handler
                    ? Decide(handler, key, evaluation.Value, context, calls)
                    : Decide(rule.ClassRule!, context);
                if (!evaluation.Apply(decision))
                {
                    break;
                }
            }
        }
        catch (InvalidOperationException exception)
        {
            failure = exception.Message;
        }

        return Describe(ref evaluation, failure, calls);
    }

    public static Outcome Describe(ref PolicyEvaluation evaluation, string? failure, List<int> calls) =>
        new($"threw={failure ?? "-"} current={Rule(evaluation.CurrentRule)} denied={evaluation.IsDenied} reason={evaluation.Reason ?? "-"} "
            + $"deciding={Rule(evaluation.DecidingRule)} modifying={Rule(evaluation.ModifyingRule)} modified={evaluation.IsModified} "
            + $"value={Convert.ToHexString(evaluation.Value)} calls=[{string.Join(",", calls)}]");

    private static string Rule(PolicyRuleInfo? rule) => rule is null ? "-" : rule + "@" + rule.Order;

    public static PolicyDecision Decide(ClassRuleModel rule, PolicyContext context) => rule.Kind switch
    {
        ClassRuleKind.DenyAll => PolicyDecision.Deny($"denied by [DenyAll({rule.Trigger}, \"{rule.Pattern}\")]"),
        ClassRuleKind.RequireAgentId => string.IsNullOrEmpty(context.AgentId)
            ? PolicyDecision.Deny($"an agent id is required by [RequireAgentId({rule.Trigger}, \"{rule.Pattern}\")]")
            : PolicyDecision.Allow,
        _ => PolicyDecision.Modify(Encoding.UTF8.GetBytes(rule.Replacement)),
    };

    public static PolicyDecision Decide(HandlerModel handler, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context, List<int> calls)
    {
        calls.Add(handler.Id);
        bool action = handler.Return == ReturnShape.Action;
        PolicyDecision deny = action ? PolicyAction.Deny : PolicyDecision.Deny("h" + handler.Id);
        PolicyDecision Modify(ReadOnlySpan<byte> current)
        {
            var bytes = new byte[current.Length + 1];
            current.CopyTo(bytes);
            bytes[^1] = handler.Marker;
            return PolicyDecision.Modify(bytes);
        }

        if (handler.Behaviour == Behaviour.Throw)
        {
            throw new InvalidOperationException("h" + handler.Id);
        }

        if (handler.Return == ReturnShape.Void)
        {
            return PolicyDecision.Allow;
        }

        return handler.Behaviour switch
        {
            Behaviour.Allow => PolicyDecision.Allow,
            Behaviour.Deny => deny,
            Behaviour.DenyIfKeyLength => key.Length % 3 == handler.Id % 3 ? deny : PolicyDecision.Allow,
            Behaviour.DenyIfNoAgent => string.IsNullOrEmpty(context.AgentId) ? deny : PolicyDecision.Allow,
            Behaviour.DenyIfValueHasMarker => value.IndexOf(handler.Marker) >= 0 ? deny : PolicyDecision.Allow,
            Behaviour.Modify => Modify(value),
            Behaviour.ModifyIfEvenKey => key.Length % 2 == 0 ? Modify(value) : PolicyDecision.Allow,
            _ => throw new ArgumentOutOfRangeException(nameof(handler)),
        };
    }
}
