namespace SochDb.Policy.Roslyn;

/// <summary>
/// Mirrors <c>SochDb.Policy.PolicyTrigger</c> (same names and values). The generator and the analyzers run inside
/// the compiler and cannot reference the runtime, so both compile this one copy.
/// </summary>
internal enum PolicyTriggerKind
{
    BeforeWrite = 0,
    AfterWrite = 1,
    BeforeRead = 2,
    AfterRead = 3,
    BeforeDelete = 4,
    AfterDelete = 5,
}

/// <summary>What each trigger allows a rule to do (docs/semantics.md).</summary>
internal static class PolicyTriggerRules
{
    /// <summary>Whether <paramref name="value"/> names a trigger (an attribute can carry any integer cast to the enum).</summary>
    public static bool IsDefined(int value) => value >= (int)PolicyTriggerKind.BeforeWrite && value <= (int)PolicyTriggerKind.AfterDelete;

    /// <summary>Whether a rule on this trigger can refuse the operation: every Before* trigger, and AfterRead (the value is withheld).</summary>
    public static bool CanDeny(PolicyTriggerKind trigger) => trigger is not (PolicyTriggerKind.AfterWrite or PolicyTriggerKind.AfterDelete);

    /// <summary>Whether a rule on this trigger can hold the operation for approval: only before the store runs.</summary>
    public static bool CanRequireApproval(PolicyTriggerKind trigger) =>
        trigger is PolicyTriggerKind.BeforeWrite or PolicyTriggerKind.BeforeRead or PolicyTriggerKind.BeforeDelete;

    /// <summary>Whether a handler on this trigger may return a <c>Modify</c> decision.</summary>
    public static bool CanModify(PolicyTriggerKind trigger) => trigger is PolicyTriggerKind.BeforeWrite or PolicyTriggerKind.AfterRead;
}
