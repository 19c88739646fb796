using System.Text;

namespace SochDb.Policy.Generators.Tests.Differential;

internal enum Behaviour { Allow, Deny, DenyIfKeyLength, DenyIfNoAgent, DenyIfValueHasMarker, Modify, ModifyIfEvenKey, Throw }

internal enum ParameterShape { In, ByValue, Seed }

internal enum ReturnShape { Void, Action, Decision }

internal enum ClassRuleKind { DenyAll, RequireAgentId, Redact }

internal sealed record Attribute(string Pattern, int Order);

internal sealed record HandlerModel(int Id, PolicyTrigger Trigger, List<Attribute> Attributes, ParameterShape Parameters, ReturnShape Return, Behaviour Behaviour)
{
    public byte Marker => (byte)((Id % 5) + 1);
}

internal sealed record ClassRuleModel(ClassRuleKind Kind, PolicyTrigger Trigger, string Pattern, int Order, string Replacement);

internal sealed class ClassModel(string name)
{
    public string Name { get; } = name;

    public List<ClassRuleModel> ClassRules { get; } = [];

    public List<HandlerModel> Handlers { get; } = [];

    public List<(int Operation, int Max, string Scope)> RateLimits { get; } = [];
}

/// <summary>Draws random policy classes from the glob grammar and writes them as C#.</summary>
/// <param name="random">The source of every choice.</param>
/// <param name="literals">The literal segments patterns are drawn from (a small set by default).</param>
/// <param name="maxSegments">The most segments a pattern has.</param>
/// <param name="wildcardFirst">
/// Draw three patterns in four from the shapes real policies start with a wildcard (<c>*.json</c>, <c>*-x1</c>,
/// <c>*/k/*</c>, <c>**/k</c>, <c>{a,b}k/*</c>, <c>[a-c]k*</c>, ...), so the dispatch files most rules by anchor.
/// </param>
/// <param name="crowded">
/// With <paramref name="wildcardFirst"/>: two wildcard-first patterns in three are the crowd shapes (<c>*7.config</c>,
/// <c>config7*</c>), so cases of a cut anchor are crowded and split one level down.
/// </param>
internal sealed class RandomPolicyModel(Random random, string[]? literals = null, int maxSegments = 4, bool wildcardFirst = false, bool crowded = false)
{
    /// <summary>
    /// The literals wildcard-first shapes are built around: shorter than a prefix or suffix anchor compares (four
    /// bytes), as long, and longer (so the anchor is cut), some of them UTF-8 text a cut splits inside a character
    /// (<c>été</c> is five bytes, <c>日本</c> six).
    /// </summary>
    public static readonly string[] AnchorNames =
        ["json", "yaml", "x1", "x2", "k", "ab", "\u00e9", "", "config", "draft7", "\u00e9t\u00e9", "\u65e5\u672c", "toolong12"];

    /// <summary>
    /// Literals many rules end (or start) with after a digit (<c>*7.config</c>, <c>config7*</c>): they share the four
    /// bytes an anchor compares, so the planner tells them apart one level further down.
    /// </summary>
    public static readonly string[] CrowdNames = ["config", "\u00e9t\u00e9"];

    /// <summary>
    /// Key segments that meet the wildcard-first shapes, miss them by a byte, or share only the four bytes an anchor
    /// compares (<c>Zonfig</c> ends like <c>config</c>, <c>configZ</c> starts like it), so a rule found through a cut
    /// anchor is still tested in full.
    /// </summary>
    public static readonly string[] AnchorKeySegments =
        [.. AnchorNames.SelectMany(n => new[] { "a." + n, "-" + n, n, n + "z", "a" + n, "b" + n, "c" + n + "q", "d" + n, "." + n + "x" }),
         .. AnchorNames.Where(n => n.Length > 1).SelectMany(n => new[] { "Z" + n[1..], n[..^1] + "Z", ".Z" + n[1..], "a" + n[..^1] + "Z" }),
         .. CrowdNames.SelectMany(n => Enumerable.Range(0, 10).SelectMany(d => new[] { "x" + d + "." + n, "_" + d + "." + n, n + d + "y", "x" + d + "Z" + n[1..] }))];

    public static readonly string[] LiteralSegments = ["a", "b", "ab", "", "\u00e9", "x.json", "a+b", "a.b"];

    private readonly string[] _literals = literals ?? LiteralSegments;

    private static readonly string[] WildcardSegments =
    [
        "*", "a*", "*b", "a*b", "?", "[ab]", "[!a]", "{a,b}", "{a,}", "*.{json,yaml}", "{a*,b}", "?*", "a?b", "\\*",
        "[a-c]*", "*a*", "{ab,b}*", "[\u00e9]", "?b", "x*", "*.json", "{,b}{a,b}",
    ];

    private static readonly PolicyTrigger[] AllTriggers = Enum.GetValues<PolicyTrigger>();

    private static readonly PolicyTrigger[] DecidingTriggers =
        [PolicyTrigger.BeforeWrite, PolicyTrigger.BeforeRead, PolicyTrigger.BeforeDelete, PolicyTrigger.AfterRead];

    private int _nextId;

    public string Pattern()
    {
        if (wildcardFirst && random.Next(4) != 0)
        {
            string shape = WildcardFirstShape();
            return random.Next(4) == 0 && _literals.Length > 0 ? Pick(_literals) + "/" + shape : shape;
        }

        int count = random.Next(1, maxSegments + 1);
        var segments = new List<string>();
        for (int i = 0; i < count; i++)
        {
            double roll = random.NextDouble();
            segments.Add(roll < 0.5 && _literals.Length > 0 ? Pick(_literals) : roll < 0.85 ? Pick(WildcardSegments) : "**");
        }

        string pattern = string.Join("/", segments);
        return pattern.Length == 0 ? "a" : pattern; // the empty pattern is invalid
    }

    public ClassModel Class(string name, int handlers, PolicyTrigger[]? triggers = null)
    {
        var model = new ClassModel(name);
        int classRules = random.Next(0, 3);
        for (int i = 0; i < classRules; i++)
        {
            var kind = (ClassRuleKind)random.Next(3);
            PolicyTrigger trigger = kind == ClassRuleKind.Redact ? PolicyTrigger.AfterRead : Pick(DecidingTriggers);
            string replacement = kind == ClassRuleKind.Redact ? Pick(["[REDACTED]", "\u00e9\"\\x", ""]) : "";
            model.ClassRules.Add(new ClassRuleModel(kind, trigger, Pattern(), Order(), replacement));
        }

        if (random.Next(3) == 0)
        {
            model.RateLimits.Add((random.Next(4), random.Next(1, 500), Pick(["global", "agent_id", "item:tenant"])));
        }

        for (int i = 0; i < handlers; i++)
        {
            PolicyTrigger trigger = Pick(triggers ?? AllTriggers);
            ReturnShape returns = trigger switch
            {
                PolicyTrigger.AfterWrite or PolicyTrigger.AfterDelete => ReturnShape.Void,
                PolicyTrigger.BeforeWrite or PolicyTrigger.AfterRead => random.Next(3) == 0 ? ReturnShape.Action : ReturnShape.Decision,
                _ => ReturnShape.Action,
            };
            Behaviour behaviour = BehaviourFor(returns);
            var attributes = new List<Attribute> { new(Pattern(), Order()) };
            while (random.Next(4) == 0)
            {
                attributes.Add(new Attribute(Pattern(), Order()));
            }

            model.Handlers.Add(new HandlerModel(_nextId++, trigger, attributes, (ParameterShape)random.Next(3), returns, behaviour));
        }

        return model;
    }

    private string WildcardFirstShape()
    {
        string n = Pick(AnchorNames);
        string crowd = Pick(CrowdNames);
        if (crowded && random.Next(3) != 0)
        {
            return random.Next(3) switch
            {
                0 => "*" + random.Next(10) + "." + crowd,
                1 => crowd + random.Next(10) + "*",
                _ => "*_" + random.Next(10) + "." + crowd,
            };
        }

        return random.Next(14) switch
        {
            11 => "*" + random.Next(10) + "." + crowd,
            12 => crowd + random.Next(10) + "*",
            13 => "*_" + random.Next(10) + "." + crowd,
            0 => "*." + n,
            1 => "*-" + n,
            2 => n + "*",
            3 => "*/" + n + "/*",
            4 => "**/" + n,
            5 => "**/*." + n,
            6 => "{a,b}" + n + "/*",
            7 => "[a-c]" + n + "*",
            8 => "*/*." + n,
            9 => "*." + n + "/**",
            _ => "?" + n + "/**/" + n + "*",
        };
    }

    private Behaviour BehaviourFor(ReturnShape returns)
    {
        if (returns == ReturnShape.Void)
        {
            return random.Next(40) == 0 ? Behaviour.Throw : Behaviour.Allow;
        }

        // Mostly allowing handlers, so evaluations go on long enough to show order and chaining.
        Behaviour[] choices = returns == ReturnShape.Decision
            ? [Behaviour.Allow, Behaviour.Allow, Behaviour.Modify, Behaviour.Modify, Behaviour.ModifyIfEvenKey, Behaviour.DenyIfKeyLength,
               Behaviour.DenyIfNoAgent, Behaviour.DenyIfValueHasMarker, Behaviour.Deny]
            : [Behaviour.Allow, Behaviour.Allow, Behaviour.Allow, Behaviour.DenyIfKeyLength, Behaviour.DenyIfNoAgent,
               Behaviour.DenyIfValueHasMarker, Behaviour.Deny];
        return random.Next(60) == 0 ? Behaviour.Throw : Pick(choices);
    }

    private int Order() => Pick([0, 0, 0, 0, 1, -1, 2]);

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];

    public static string Source(IEnumerable<ClassModel> classes)
    {
        var text = new StringBuilder();
        text.AppendLine("using System;").AppendLine("using SochDb.Policy;").AppendLine("namespace Differential;");
        foreach (ClassModel model in classes)
        {
            foreach (ClassRuleModel rule in model.ClassRules)
            {
                string order = rule.Order != 0 ? $", Order = {rule.Order}" : "";
                text.AppendLine(rule.Kind switch
                {
                    ClassRuleKind.Redact => $"[Redact({Quote(rule.Pattern)}, {Quote(rule.Replacement)}{order})]",
                    _ => $"[{rule.Kind}(PolicyTrigger.{rule.Trigger}, {Quote(rule.Pattern)}{order})]",
                });
            }

            foreach (var (operation, max, scope) in model.RateLimits)
            {
                text.AppendLine($"[RateLimit((PolicyOperation){operation}, {max}, Scope = {Quote(scope)})]");
            }

            text.AppendLine($"public static partial class {model.Name}").AppendLine("{");
            text.AppendLine("    public static readonly System.Collections.Generic.List<int> Calls = new();");
            foreach (HandlerModel handler in model.Handlers)
            {
                foreach (Attribute attribute in handler.Attributes)
                {
                    string order = attribute.Order != 0 ? $", Order = {attribute.Order}" : "";
                    text.AppendLine($"    [{handler.Trigger}({Quote(attribute.Pattern)}{order})]");
                }

                string returns = handler.Return switch { ReturnShape.Void => "void", ReturnShape.Action => "PolicyAction", _ => "PolicyDecision" };
                string parameters = handler.Parameters switch
                {
                    ParameterShape.In => "in PolicyRequest request",
                    ParameterShape.ByValue => "PolicyRequest request",
                    _ => "ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context",
                };
                text.AppendLine($"    private static {returns} H{handler.Id}({parameters})").AppendLine("    {");
                text.AppendLine($"        Calls.Add({handler.Id});");
                if (handler.Parameters != ParameterShape.Seed)
                {
                    text.AppendLine("        ReadOnlySpan<byte> key = request.Key; ReadOnlySpan<byte> value = request.Value; PolicyContext context = request.Context;");
                }

                text.AppendLine("        " + Body(handler));
                text.AppendLine("    }");
            }

            text.AppendLine("}");
        }

        return text.ToString();
    }

    private static string Body(HandlerModel handler)
    {
        bool action = handler.Return == ReturnShape.Action;
        string allow = action ? "PolicyAction.Allow" : "PolicyDecision.Allow";
        string deny = action ? "PolicyAction.Deny" : $"PolicyDecision.Deny(\"h{handler.Id}\")";
        string modify = $"{{ var b = new byte[value.Length + 1]; value.CopyTo(b); b[^1] = {handler.Marker}; return PolicyDecision.Modify(b); }}";
        return handler.Behaviour switch
        {
            Behaviour.Throw => $"throw new InvalidOperationException(\"h{handler.Id}\");",
            _ when handler.Return == ReturnShape.Void => "GC.KeepAlive(context); _ = key.Length + value.Length;",
            Behaviour.Allow => $"return {allow};",
            Behaviour.Deny => $"return {deny};",
            Behaviour.DenyIfKeyLength => $"return key.Length % 3 == {handler.Id % 3} ? {deny} : {allow};",
            Behaviour.DenyIfNoAgent => $"return string.IsNullOrEmpty(context.AgentId) ? {deny} : {allow};",
            Behaviour.DenyIfValueHasMarker => $"return value.IndexOf((byte){handler.Marker}) >= 0 ? {deny} : {allow};",
            Behaviour.Modify => modify,
            Behaviour.ModifyIfEvenKey => $"if (key.Length % 2 == 0) {modify} return {allow};",
            _ => throw new InvalidOperationException(handler.Behaviour.ToString()),
        };
    }

    /// <summary>A C# string literal (escapes quotes, backslashes and non-ASCII).</summary>
    public static string Quote(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when c < 0x20 || c > 0x7E => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }
}
