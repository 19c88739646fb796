namespace SochDb.Policy.Analyzers;

/// <summary>The analyzers' copy of <c>SochDb.Policy.PolicyTrigger</c>; the values must match the runtime's.</summary>
internal enum PolicyTrigger
{
    BeforeWrite = 0,
    AfterWrite = 1,
    BeforeRead = 2,
    AfterRead = 3,
    BeforeDelete = 4,
    AfterDelete = 5,
}

/// <summary>What each trigger allows a rule to do (DESIGN.md §5).</summary>
internal static class PolicyTriggerRules
{
    public static bool IsDefined(int value) => value >= (int)PolicyTrigger.BeforeWrite && value <= (int)PolicyTrigger.AfterDelete;

    /// <summary>Whether a rule on this trigger can refuse the operation.</summary>
    public static bool CanDeny(PolicyTrigger trigger) => trigger is not (PolicyTrigger.AfterWrite or PolicyTrigger.AfterDelete);

    /// <summary>Whether a handler on this trigger may return a <c>Modify</c> decision.</summary>
    public static bool CanModify(PolicyTrigger trigger) => trigger is PolicyTrigger.BeforeWrite or PolicyTrigger.AfterRead;
}

/// <summary>The return types a handler may have.</summary>
[System.Flags]
internal enum HandlerReturnKinds
{
    None = 0,
    Void = 1,
    PolicyAction = 2,
    PolicyDecision = 4,
}

/// <summary>The handler shapes the generator calls, shared by the analyzer and (through diagnostic properties) the code fixes.</summary>
internal static class HandlerShapes
{
    /// <summary>The return types a handler on <paramref name="trigger"/> may have.</summary>
    public static HandlerReturnKinds AllowedReturns(PolicyTrigger trigger)
    {
        if (!PolicyTriggerRules.CanDeny(trigger))
        {
            return HandlerReturnKinds.Void;
        }

        return PolicyTriggerRules.CanModify(trigger)
            ? HandlerReturnKinds.PolicyAction | HandlerReturnKinds.PolicyDecision
            : HandlerReturnKinds.PolicyAction;
    }

    /// <summary>"return PolicyAction", "return void" ...: what a set of allowed return types asks for.</summary>
    public static string Describe(HandlerReturnKinds kinds) => kinds switch
    {
        HandlerReturnKinds.Void => "return void (after-write and after-delete handlers only observe)",
        HandlerReturnKinds.PolicyAction => "return PolicyAction (PolicyDecision is accepted on BeforeWrite and AfterRead only, where Modify is meaningful)",
        HandlerReturnKinds.PolicyAction | HandlerReturnKinds.PolicyDecision => "return PolicyAction, or PolicyDecision to modify the value",
        _ => "no return type suits all of its triggers together: split it into one handler per kind of trigger",
    };

    /// <summary>The canonical return type for a set of allowed kinds, as the code fix writes it; <see langword="null"/> when none fits.</summary>
    public static string? CanonicalReturnType(HandlerReturnKinds kinds)
    {
        if ((kinds & HandlerReturnKinds.PolicyAction) != 0)
        {
            return "PolicyAction";
        }

        return kinds == HandlerReturnKinds.Void ? "void" : null;
    }
}
