namespace SochDb.Policy;

/// <summary>Extensions over the policy enums.</summary>
internal static class PolicyTriggerExtensions
{
    /// <summary>The operation a trigger belongs to.</summary>
    public static PolicyOperation Operation(this PolicyTrigger trigger) => trigger switch
    {
        PolicyTrigger.BeforeWrite or PolicyTrigger.AfterWrite => PolicyOperation.Write,
        PolicyTrigger.BeforeRead or PolicyTrigger.AfterRead => PolicyOperation.Read,
        _ => PolicyOperation.Delete,
    };

    /// <summary>Whether a handler on this trigger may return <see cref="PolicyDecision.Modify"/>.</summary>
    public static bool CanModify(this PolicyTrigger trigger) =>
        trigger is PolicyTrigger.BeforeWrite or PolicyTrigger.AfterRead;

    /// <summary>Whether handlers on this trigger run before the store operation (and so may deny it).</summary>
    public static bool IsBefore(this PolicyTrigger trigger) =>
        trigger is PolicyTrigger.BeforeWrite or PolicyTrigger.BeforeRead or PolicyTrigger.BeforeDelete;
}
