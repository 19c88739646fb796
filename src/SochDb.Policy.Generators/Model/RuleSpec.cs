namespace SochDb.Policy.Generators.Model;

/// <summary>
/// One rule as declared: a handler method's trigger attribute, or a class-level attribute. Holds only strings,
/// enums and numbers, so it compares by value and nothing from the compilation outlives the parse step.
/// </summary>
/// <param name="Kind">Handler or one of the class-level rules.</param>
/// <param name="Trigger">When the rule runs.</param>
/// <param name="Pattern">The glob pattern, already validated.</param>
/// <param name="Order">The attribute's <c>Order</c>.</param>
/// <param name="MethodName">The handler's name (empty for class-level rules).</param>
/// <param name="Parameters">The handler's parameter shape.</param>
/// <param name="Return">The handler's return shape.</param>
/// <param name="Replacement">For <see cref="RuleKind.Redact"/>: the replacement text.</param>
/// <param name="Declaration">Where the rule was declared, for the declaration-order tie break.</param>
/// <param name="AlwaysDenies">The handler's body returns a constant Deny on every path (recorded in the rule's description for the engine's analysis).</param>
internal sealed record RuleSpec(
    RuleKind Kind,
    PolicyTriggerKind Trigger,
    string Pattern,
    int Order,
    string MethodName,
    HandlerParameters Parameters,
    HandlerReturn Return,
    string Replacement,
    DeclarationPosition Declaration,
    bool AlwaysDenies = false);

/// <summary>
/// Declaration order without source offsets (so editing a method body does not change the models of the
/// methods after it): class-level attributes first, then methods; then the partial declaration, the member
/// within it and the attribute within the member.
/// </summary>
internal readonly record struct DeclarationPosition(int Group, int DeclarationIndex, int MemberIndex, int AttributeIndex)
    : System.IComparable<DeclarationPosition>
{
    /// <summary>Class-level attributes come first.</summary>
    public const int ClassLevel = 0;

    /// <summary>Then handler methods.</summary>
    public const int Method = 1;

    public int CompareTo(DeclarationPosition other)
    {
        int c = Group.CompareTo(other.Group);
        if (c == 0)
        {
            c = DeclarationIndex.CompareTo(other.DeclarationIndex);
        }

        if (c == 0)
        {
            c = MemberIndex.CompareTo(other.MemberIndex);
        }

        return c != 0 ? c : AttributeIndex.CompareTo(other.AttributeIndex);
    }
}

/// <summary>A class-level <c>[RateLimit]</c>.</summary>
/// <param name="Operation">The value of <c>SochDb.Policy.PolicyOperation</c>.</param>
internal sealed record RateLimitSpec(int Operation, int MaxPerMinute, string Scope, DeclarationPosition Declaration);

/// <summary>
/// What one attribute (or one method's attribute) contributes to a type: the output of a parse step. <paramref name="Type"/>
/// is null when no partial part can be added to the type; then everything declared there is in <paramref name="Rejected"/>.
/// </summary>
internal sealed record RuleSource(
    TypeSpec? Type, EquatableArray<RuleSpec> Rules, EquatableArray<RateLimitSpec> RateLimits, EquatableArray<RejectedRule> Rejected);

/// <summary>Everything needed to emit one type's compiled set; rules already in dispatch order.</summary>
internal sealed record PolicySetSpec(TypeSpec Type, EquatableArray<RuleSpec> Rules, EquatableArray<RateLimitSpec> RateLimits);
