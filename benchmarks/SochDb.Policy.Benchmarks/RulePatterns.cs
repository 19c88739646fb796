namespace SochDb.Policy.Benchmarks;

/// <summary>The benchmark rule sets, identical to what RuleSets/generate.sh writes as compiled classes.</summary>
public static class RulePatterns
{
    private static readonly string[] Shapes =
        ["system/*", "users/*/email", "users/**", "config/*.{json,yaml}", "logs/**", "secrets/[a-m]*", "cache/?/*", "tmp/*.tmp"];

    public static string For(int index) => $"t{index / 8}/{Shapes[index % 8]}";

    public static string[] First(int count) => Enumerable.Range(0, count).Select(For).ToArray();

    /// <summary>A key of the given kind for a rule set of <paramref name="ruleCount"/> rules (tenant 1 exists in every set).</summary>
    public static string Key(KeyKind kind) => kind switch
    {
        KeyKind.None => "t1/other/alice/profile",
        KeyKind.One => "t1/system/config",
        _ => "t1/users/alice/email",
    };
}

public enum KeyKind
{
    None,
    One,
    Several,
}

/// <summary>What every benchmark handler does: count, then allow (so every matching handler runs).</summary>
public static class RuleCounter
{
    public static int Hits;

    public static PolicyAction Hit()
    {
        Hits++;
        return PolicyAction.Allow;
    }
}
