using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SochDb.Policy.Roslyn;

/// <summary>
/// What a handler's body can return, read from its operations: whether every return is a constant Deny
/// (<c>PolicyAction.Deny</c>, <c>PolicyDecision.Deny(...)</c>), and whether some return modifies the value or asks for
/// approval. The generator records the first in the rule's description (the engine's analysis relies on it); the
/// analyzers use all three. One definition for both, as for handler signatures.
/// </summary>
internal readonly struct HandlerVerdicts
{
    private HandlerVerdicts(bool alwaysDenies, bool mayModify, bool mayRequireApproval)
    {
        AlwaysDenies = alwaysDenies;
        MayModify = mayModify;
        MayRequireApproval = mayRequireApproval;
    }

    /// <summary>Every return statement returns a constant Deny, and there is at least one.</summary>
    public bool AlwaysDenies { get; }

    /// <summary>Some return statement returns <c>PolicyDecision.Modify(...)</c>.</summary>
    public bool MayModify { get; }

    /// <summary>Some return statement returns <c>PolicyDecision.RequireApproval(...)</c>.</summary>
    public bool MayRequireApproval { get; }

    /// <summary>
    /// Reads a method's returns from the operation the compiler gives for its declaration (a method body, or its block);
    /// false when it has no body to read (the verdicts are then the default: nothing is known).
    /// </summary>
    public static bool TryOfMethod(IOperation? declaration, out HandlerVerdicts verdicts)
    {
        IOperation? body = declaration is IMethodBodyOperation method ? (IOperation?)method.BlockBody ?? method.ExpressionBody : declaration;
        verdicts = body is IBlockOperation ? Of(body) : default;
        return body is IBlockOperation;
    }

    /// <summary>Reads the returns of <paramref name="body"/> (a method's body operation), not those of lambdas or local functions inside it.</summary>
    public static HandlerVerdicts Of(IOperation? body)
    {
        if (body is null)
        {
            return default;
        }

        int returns = 0;
        int denials = 0;
        bool modify = false;
        bool approval = false;
        Visit(body);
        return new HandlerVerdicts(returns > 0 && denials == returns, modify, approval);

        void Visit(IOperation operation)
        {
            foreach (IOperation child in operation.ChildOperations)
            {
                if (child is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    continue;
                }

                if (child is IReturnOperation { ReturnedValue: { } value })
                {
                    returns++;
                    if (Read(value, ref modify, ref approval))
                    {
                        denials++;
                    }
                }

                Visit(child);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="value"/> is a constant Deny on every branch (of <c>?:</c> and <c>switch</c> expressions);
    /// notes a Modify or RequireApproval on any branch.
    /// </summary>
    private static bool Read(IOperation value, ref bool modify, ref bool approval)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        switch (value)
        {
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
            {
                bool whenTrueDenies = Read(conditional.WhenTrue, ref modify, ref approval);
                return Read(whenFalse, ref modify, ref approval) && whenTrueDenies;
            }

            case ISwitchExpressionOperation switchExpression:
            {
                bool all = switchExpression.Arms.Length > 0;
                foreach (ISwitchExpressionArmOperation arm in switchExpression.Arms)
                {
                    all &= Read(arm.Value, ref modify, ref approval);
                }

                return all;
            }

            case IFieldReferenceOperation { Field: { Name: "Deny", IsStatic: true } field }:
                return IsPolicyType(field.ContainingType, "PolicyAction");
            case IInvocationOperation { TargetMethod: { IsStatic: true } method } when IsPolicyType(method.ContainingType, "PolicyDecision"):
                modify |= method.Name == "Modify";
                approval |= method.Name == "RequireApproval";
                return method.Name == "Deny";
            default:
                return false;
        }
    }

    private static bool IsPolicyType(INamedTypeSymbol? type, string name) =>
        type is { Name: var typeName, ContainingNamespace: { Name: "Policy", ContainingNamespace: { Name: "SochDb", ContainingNamespace.IsGlobalNamespace: true } } }
        && typeName == name;
}
