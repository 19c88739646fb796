namespace SochDb.Policy.Analyzers;

/// <summary>
/// How SOCH0004 words the return types a handler's triggers accept (the sets themselves come from
/// <see cref="HandlerSignature.AllowedReturns"/>), and what its code fix writes.
/// </summary>
internal static class HandlerShapes
{
    /// <summary>"return PolicyAction", "return void" ...: what a set of allowed return types asks for.</summary>
    public static string Describe(HandlerReturns kinds) => kinds switch
    {
        HandlerReturns.Void => "return void (after-write and after-delete handlers only observe)",
        HandlerReturns.Action => "return PolicyAction (PolicyDecision is accepted on BeforeWrite and AfterRead only, where Modify is meaningful)",
        HandlerReturns.Action | HandlerReturns.Decision => "return PolicyAction, or PolicyDecision to modify the value",
        _ => "no return type suits all of its triggers together: split it into one handler per kind of trigger",
    };

    /// <summary>The canonical return type for a set of allowed kinds, as the code fix writes it; <see langword="null"/> when none fits.</summary>
    public static string? CanonicalReturnType(HandlerReturns kinds)
    {
        if ((kinds & HandlerReturns.Action) != 0)
        {
            return "PolicyAction";
        }

        return kinds == HandlerReturns.Void ? "void" : null;
    }
}
