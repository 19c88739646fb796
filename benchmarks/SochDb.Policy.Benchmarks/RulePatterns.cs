namespace SochDb.Policy.Benchmarks;

/// <summary>The benchmark rule sets, identical to what RuleSets/generate.sh writes as compiled classes.</summary>
public static class RulePatterns
{
    private static readonly string[] Shapes =
        ["system/*", "users/*/email", "users/**", "config/*.{json,yaml}", "logs/**", "secrets/[a-m]*", "cache/?/*", "tmp/*.tmp"];

    public static string For(int index) => $"t{index / 8}/{Shapes[index % 8]}";

    public static string[] First(int count) => Enumerable.Range(0, count).Select(For).ToArray();

    /// <summary>
    /// Rule <paramref name="index"/> of the mixed sets: per group of eight, six under the tenant prefix and two starting
    /// with a wildcard segment (<c>*.ext17</c>, <c>**/secret17</c>, <c>*-draft17</c>, <c>*/cache17/*</c>,
    /// <c>{a,b}17/*</c>, <c>[a-c]17*</c>), as RuleSets/generate.sh writes them.
    /// </summary>
    public static string Mixed(int index)
    {
        int g = index / 8;
        return (index % 8) switch
        {
            0 => $"t{g}/system/*",
            1 => $"t{g}/users/*/email",
            2 => $"t{g}/config/*.{{json,yaml}}",
            3 => $"t{g}/users/**",
            4 => $"t{g}/secrets/[a-m]*",
            5 => $"t{g}/tmp/*.tmp",
            6 => (g % 3) switch { 0 => $"*.ext{g}", 1 => $"**/secret{g}", _ => $"*-draft{g}" },
            _ => (g % 3) switch { 0 => $"*/cache{g}/*", 1 => $"{{a,b}}{g}/*", _ => $"[a-c]{g}*" },
        };
    }

    public static string[] FirstMixed(int count) => Enumerable.Range(0, count).Select(Mixed).ToArray();

    /// <summary>A key of the given kind; every one exists in every mixed set (groups 0 and 1 are in all of them).</summary>
    public static string Key(MixedKey kind) => kind switch
    {
        MixedKey.OneSegmentNone => "notes.txt",
        MixedKey.OneSegmentOne => "report.ext0",
        MixedKey.SegmentsNone => "t1/other/alice/profile",
        MixedKey.SegmentsOne => "x/cache0/y",
        _ => "t1/users/alice/secret1",
    };

    /// <summary>A key of the given kind for a rule set of <paramref name="ruleCount"/> rules (tenant 1 exists in every set).</summary>
    public static string Key(KeyKind kind) => kind switch
    {
        KeyKind.None => "t1/other/alice/profile",
        KeyKind.One => "t1/system/config",
        _ => "t1/users/alice/email",
    };
}

/// <summary>Keys for the mixed sets: one segment or several, matching no rule, one, or two (one through the tenant trie, one through an anchor).</summary>
public enum MixedKey
{
    OneSegmentNone,
    OneSegmentOne,
    SegmentsNone,
    SegmentsOne,
    SegmentsTwo,
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
