using Microsoft.CodeAnalysis;

namespace SochDb.Policy.Roslyn;

/// <summary>The parameter list of an accepted handler.</summary>
internal enum HandlerParameters
{
    /// <summary><c>(in PolicyRequest request)</c>: the canonical shape.</summary>
    RequestByReference,
    /// <summary><c>(PolicyRequest request)</c>.</summary>
    RequestByValue,
    /// <summary><c>(ReadOnlySpan&lt;byte&gt; key, ReadOnlySpan&lt;byte&gt; value, PolicyContext context)</c>: the seed SDKs' shape.</summary>
    KeyValueContext,
}

/// <summary>The return type of an accepted handler.</summary>
internal enum HandlerReturn
{
    /// <summary><c>void</c> (AfterWrite, AfterDelete).</summary>
    Void,
    /// <summary><c>PolicyAction</c> (every Before* trigger and AfterRead).</summary>
    Action,
    /// <summary><c>PolicyDecision</c> (BeforeWrite and AfterRead, where Modify means something).</summary>
    Decision,
}

/// <summary>A set of <see cref="HandlerReturn"/> values: what a trigger, or several together, accept.</summary>
[System.Flags]
internal enum HandlerReturns
{
    None = 0,
    Void = 1 << (int)HandlerReturn.Void,
    Action = 1 << (int)HandlerReturn.Action,
    Decision = 1 << (int)HandlerReturn.Decision,
    All = Void | Action | Decision,
}

/// <summary>
/// The one definition of an acceptable handler signature, compiled into both the generator and the analyzers.
/// The generator emits a call for a trigger exactly when <see cref="Accepts"/> says so; the analyzers report
/// SOCH0002–SOCH0005 from the same facts, so a handler the IDE accepts is always one the dispatch calls.
/// </summary>
/// <remarks>
/// Accepted: a static, non-generic, non-async method, not an extension method, taking <c>in PolicyRequest</c>
/// (canonical), <c>PolicyRequest</c> by value, or the seed SDKs' <c>(ReadOnlySpan&lt;byte&gt; key,
/// ReadOnlySpan&lt;byte&gt; value, PolicyContext context)</c>; returning (not by reference) <c>PolicyAction</c> on
/// every trigger that can deny, <c>PolicyDecision</c> where Modify means something, and <c>void</c> on the
/// triggers that only observe. Types are recognised by name, so the verdict needs no compilation-wide lookup.
/// </remarks>
/// <param name="IsStatic">Whether the method is <c>static</c> (SOCH0002 when not).</param>
/// <param name="IsGeneric">Whether the method has type parameters (SOCH0005).</param>
/// <param name="IsAsync">Whether the method is declared <c>async</c> (SOCH0005).</param>
/// <param name="ReturnsTask">Whether it returns Task, ValueTask (generic or not) or another type built by an <c>[AsyncMethodBuilder]</c> (SOCH0005).</param>
/// <param name="Parameters">The accepted parameter list, or <see langword="null"/> when the dispatch cannot call it (SOCH0003).</param>
/// <param name="Return">The return type when a handler may have it on some trigger, else <see langword="null"/> (SOCH0004).</param>
internal readonly record struct HandlerSignature(
    bool IsStatic, bool IsGeneric, bool IsAsync, bool ReturnsTask, HandlerParameters? Parameters, HandlerReturn? Return)
{
    private const string PolicyNamespace = "SochDb.Policy";

    /// <summary>
    /// Whether the return type is judged against the triggers (SOCH0004): not for an async or task-returning
    /// method, which is reported as such instead.
    /// </summary>
    public bool IsReturnJudged => !IsAsync && !ReturnsTask;

    /// <summary>Whether something other than the return type rules the method out, whatever its triggers.</summary>
    public bool HasTriggerIndependentProblem => !IsStatic || IsGeneric || IsAsync || ReturnsTask || Parameters is null;

    /// <summary>Reads the facts the verdict rests on from <paramref name="method"/>.</summary>
    public static HandlerSignature Of(IMethodSymbol method) => new(
        method.IsStatic,
        method.IsGenericMethod,
        method.IsAsync,
        IsTaskLike(method.ReturnType),
        GetParameters(method),
        GetReturn(method));

    /// <summary>The return types a handler on <paramref name="trigger"/> may have.</summary>
    public static HandlerReturns AllowedReturns(PolicyTriggerKind trigger)
    {
        if (!PolicyTriggerRules.CanDeny(trigger))
        {
            return HandlerReturns.Void;
        }

        return PolicyTriggerRules.CanModify(trigger) ? HandlerReturns.Action | HandlerReturns.Decision : HandlerReturns.Action;
    }

    /// <summary>Whether the return type suits <paramref name="trigger"/>.</summary>
    public bool ReturnFits(PolicyTriggerKind trigger) =>
        Return is { } returns && (AllowedReturns(trigger) & (HandlerReturns)(1 << (int)returns)) != 0;

    /// <summary>The verdict: whether the generated dispatch calls this method for <paramref name="trigger"/>.</summary>
    public bool Accepts(PolicyTriggerKind trigger) => !HasTriggerIndependentProblem && ReturnFits(trigger);

    private static HandlerParameters? GetParameters(IMethodSymbol method)
    {
        if (method.IsExtensionMethod)
        {
            return null;
        }

        var list = method.Parameters;
        if (list.Length == 1 && !list[0].IsParams && IsPolicyType(list[0].Type, "PolicyRequest"))
        {
            return list[0].RefKind switch
            {
                RefKind.In => HandlerParameters.RequestByReference,
                RefKind.None => HandlerParameters.RequestByValue,
                _ => null,
            };
        }

        if (list.Length == 3
            && IsByValue(list[0]) && IsByteSpan(list[0].Type)
            && IsByValue(list[1]) && IsByteSpan(list[1].Type)
            && IsByValue(list[2]) && IsPolicyType(list[2].Type, "PolicyContext"))
        {
            return HandlerParameters.KeyValueContext;
        }

        return null;
    }

    private static HandlerReturn? GetReturn(IMethodSymbol method)
    {
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            return null;
        }

        if (method.ReturnsVoid)
        {
            return HandlerReturn.Void;
        }

        if (IsPolicyType(method.ReturnType, "PolicyAction"))
        {
            return HandlerReturn.Action;
        }

        return IsPolicyType(method.ReturnType, "PolicyDecision") ? HandlerReturn.Decision : null;
    }

    private static bool IsByValue(IParameterSymbol parameter) => parameter.RefKind == RefKind.None && !parameter.IsParams;

    private static bool IsTaskLike(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol named)
        {
            return false;
        }

        INamedTypeSymbol original = named.OriginalDefinition;
        if (original is { Name: "Task" or "ValueTask", Arity: 0 or 1, ContainingType: null }
            && original.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks")
        {
            return true;
        }

        // Custom task types (an [AsyncMethodBuilder] on the type) cannot be waited for either.
        foreach (AttributeData attribute in original.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "AsyncMethodBuilderAttribute", ContainingType: null } builder
                && builder.ContainingNamespace?.ToDisplayString() == "System.Runtime.CompilerServices")
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPolicyType(ITypeSymbol type, string name) =>
        type is INamedTypeSymbol { Arity: 0, ContainingType: null } named
        && named.Name == name
        && named.ContainingNamespace?.ToDisplayString() == PolicyNamespace;

    private static bool IsByteSpan(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "ReadOnlySpan", Arity: 1, ContainingType: null } named
        && named.ContainingNamespace?.ToDisplayString() == "System"
        && named.TypeArguments[0].SpecialType == SpecialType.System_Byte;
}
