using Microsoft.CodeAnalysis;
using SochDb.Policy.Generators.Model;

namespace SochDb.Policy.Generators;

/// <summary>Why a method cannot be a handler for a trigger (<see cref="None"/> when it can).</summary>
internal enum HandlerSignatureProblem
{
    /// <summary>The method is an acceptable handler.</summary>
    None,
    /// <summary>The method is not <c>static</c>.</summary>
    NotStatic,
    /// <summary>The method has type parameters.</summary>
    Generic,
    /// <summary>The method is <c>async</c>.</summary>
    Async,
    /// <summary>The parameter list is neither <c>(in PolicyRequest)</c>, <c>(PolicyRequest)</c> nor <c>(ReadOnlySpan&lt;byte&gt;, ReadOnlySpan&lt;byte&gt;, PolicyContext)</c>.</summary>
    Parameters,
    /// <summary>The return type does not fit the trigger.</summary>
    ReturnType,
}

/// <summary>
/// The one definition of an acceptable handler signature. The generator emits calls only to methods this
/// accepts and silently leaves the rest out; the analyzers mirror exactly these rules to report them.
/// </summary>
/// <remarks>
/// Accepted: a static, non-generic, non-async method taking <c>in PolicyRequest</c> (canonical),
/// <c>PolicyRequest</c> by value, or the seed SDKs' <c>(ReadOnlySpan&lt;byte&gt; key, ReadOnlySpan&lt;byte&gt; value,
/// PolicyContext context)</c>; returning <c>PolicyAction</c> on every Before* trigger and AfterRead,
/// <c>PolicyDecision</c> on BeforeWrite and AfterRead (where Modify means something), and <c>void</c> on
/// AfterWrite and AfterDelete.
/// </remarks>
internal static class HandlerSignature
{
    private const string PolicyNamespace = "SochDb.Policy";

    /// <summary>Checks <paramref name="method"/> as a handler for <paramref name="trigger"/>.</summary>
    public static HandlerSignatureProblem Check(
        IMethodSymbol method, PolicyTriggerKind trigger, out HandlerParameters parameters, out HandlerReturn returns)
    {
        parameters = default;
        returns = default;
        if (!method.IsStatic)
        {
            return HandlerSignatureProblem.NotStatic;
        }

        if (method.IsGenericMethod)
        {
            return HandlerSignatureProblem.Generic;
        }

        if (method.IsAsync)
        {
            return HandlerSignatureProblem.Async;
        }

        if (!TryGetParameters(method, out parameters))
        {
            return HandlerSignatureProblem.Parameters;
        }

        if (!TryGetReturn(method, out returns) || !IsReturnAllowed(returns, trigger))
        {
            return HandlerSignatureProblem.ReturnType;
        }

        return HandlerSignatureProblem.None;
    }

    /// <summary>Whether a handler returning <paramref name="returns"/> may run on <paramref name="trigger"/>.</summary>
    public static bool IsReturnAllowed(HandlerReturn returns, PolicyTriggerKind trigger) => returns switch
    {
        HandlerReturn.Void => trigger is PolicyTriggerKind.AfterWrite or PolicyTriggerKind.AfterDelete,
        HandlerReturn.Action => trigger is not (PolicyTriggerKind.AfterWrite or PolicyTriggerKind.AfterDelete),
        HandlerReturn.Decision => trigger is PolicyTriggerKind.BeforeWrite or PolicyTriggerKind.AfterRead,
        _ => false,
    };

    private static bool TryGetParameters(IMethodSymbol method, out HandlerParameters shape)
    {
        shape = default;
        var list = method.Parameters;
        if (list.Length == 1 && IsPolicyType(list[0].Type, "PolicyRequest"))
        {
            switch (list[0].RefKind)
            {
                case RefKind.In:
                    shape = HandlerParameters.RequestByReference;
                    return true;
                case RefKind.None:
                    shape = HandlerParameters.RequestByValue;
                    return true;
                default:
                    return false;
            }
        }

        if (list.Length == 3
            && list[0].RefKind == RefKind.None && IsByteSpan(list[0].Type)
            && list[1].RefKind == RefKind.None && IsByteSpan(list[1].Type)
            && list[2].RefKind == RefKind.None && IsPolicyType(list[2].Type, "PolicyContext"))
        {
            shape = HandlerParameters.KeyValueContext;
            return true;
        }

        return false;
    }

    private static bool TryGetReturn(IMethodSymbol method, out HandlerReturn shape)
    {
        shape = default;
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            return false;
        }

        if (method.ReturnsVoid)
        {
            shape = HandlerReturn.Void;
            return true;
        }

        if (IsPolicyType(method.ReturnType, "PolicyAction"))
        {
            shape = HandlerReturn.Action;
            return true;
        }

        if (IsPolicyType(method.ReturnType, "PolicyDecision"))
        {
            shape = HandlerReturn.Decision;
            return true;
        }

        return false;
    }

    private static bool IsPolicyType(ITypeSymbol type, string name) =>
        type is INamedTypeSymbol { Arity: 0, ContainingType: null } named
        && named.Name == name
        && named.ContainingNamespace?.ToDisplayString() == PolicyNamespace;

    private static bool IsByteSpan(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "ReadOnlySpan", Arity: 1 } named
        && named.ContainingNamespace?.ToDisplayString() == "System"
        && named.TypeArguments[0].SpecialType == SpecialType.System_Byte;
}
