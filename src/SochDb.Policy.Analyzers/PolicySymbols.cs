using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// The SochDb.Policy types the analyzers look for, resolved once per compilation. A compilation that does not
/// reference SochDb.Policy gets <see langword="null"/> from <see cref="TryCreate"/>, and no analysis runs.
/// </summary>
internal sealed class PolicySymbols
{
    private readonly Dictionary<INamedTypeSymbol, PolicyTriggerKind> _handlerAttributes;

    private PolicySymbols(
        Dictionary<INamedTypeSymbol, PolicyTriggerKind> handlerAttributes,
        INamedTypeSymbol? denyAll,
        INamedTypeSymbol? requireAgentId,
        INamedTypeSymbol? redact,
        INamedTypeSymbol? rateLimit,
        INamedTypeSymbol? requireApproval)
    {
        _handlerAttributes = handlerAttributes;
        DenyAllAttribute = denyAll;
        RequireAgentIdAttribute = requireAgentId;
        RedactAttribute = redact;
        RateLimitAttribute = rateLimit;
        RequireApprovalAttribute = requireApproval;
    }

    public INamedTypeSymbol? DenyAllAttribute { get; }

    public INamedTypeSymbol? RequireAgentIdAttribute { get; }

    public INamedTypeSymbol? RedactAttribute { get; }

    public INamedTypeSymbol? RateLimitAttribute { get; }

    public INamedTypeSymbol? RequireApprovalAttribute { get; }

    /// <summary>
    /// Calls <paramref name="register"/> once per compilation that references SochDb.Policy, with the symbols resolved
    /// once; in other compilations nothing is registered. (Each analyzer still enables concurrent execution and skips
    /// generated code in its own Initialize, where the Roslyn rules RS1025/RS1026 look for it.)
    /// </summary>
    public static void RegisterWhenReferenced(AnalysisContext context, Action<CompilationStartAnalysisContext, PolicySymbols> register)
    {
        context.RegisterCompilationStartAction(start =>
        {
            if (TryCreate(start.Compilation) is { } symbols)
            {
                register(start, symbols);
            }
        });
    }

    /// <summary>Resolves the symbols; <see langword="null"/> when the compilation does not reference SochDb.Policy.</summary>
    public static PolicySymbols? TryCreate(Compilation compilation)
    {
        if (compilation.GetTypeByMetadataName("SochDb.Policy.PolicyRequest") is null
            || compilation.GetTypeByMetadataName("SochDb.Policy.PolicyContext") is null
            || compilation.GetTypeByMetadataName("SochDb.Policy.PolicyAction") is null
            || compilation.GetTypeByMetadataName("SochDb.Policy.PolicyDecision") is null)
        {
            return null;
        }

        var handlers = new Dictionary<INamedTypeSymbol, PolicyTriggerKind>(SymbolEqualityComparer.Default);
        Add(handlers, compilation, "SochDb.Policy.BeforeWriteAttribute", PolicyTriggerKind.BeforeWrite);
        Add(handlers, compilation, "SochDb.Policy.AfterWriteAttribute", PolicyTriggerKind.AfterWrite);
        Add(handlers, compilation, "SochDb.Policy.BeforeReadAttribute", PolicyTriggerKind.BeforeRead);
        Add(handlers, compilation, "SochDb.Policy.AfterReadAttribute", PolicyTriggerKind.AfterRead);
        Add(handlers, compilation, "SochDb.Policy.BeforeDeleteAttribute", PolicyTriggerKind.BeforeDelete);
        Add(handlers, compilation, "SochDb.Policy.AfterDeleteAttribute", PolicyTriggerKind.AfterDelete);

        return new PolicySymbols(
            handlers,
            compilation.GetTypeByMetadataName("SochDb.Policy.DenyAllAttribute"),
            compilation.GetTypeByMetadataName("SochDb.Policy.RequireAgentIdAttribute"),
            compilation.GetTypeByMetadataName("SochDb.Policy.RedactAttribute"),
            compilation.GetTypeByMetadataName("SochDb.Policy.RateLimitAttribute"),
            compilation.GetTypeByMetadataName("SochDb.Policy.RequireApprovalAttribute"));
    }

    /// <summary>The trigger of a handler attribute (<c>[BeforeWrite]</c> ...), or <see langword="null"/> for any other attribute.</summary>
    public PolicyTriggerKind? HandlerTrigger(AttributeData attribute) =>
        attribute.AttributeClass is { } type && _handlerAttributes.TryGetValue(type, out PolicyTriggerKind trigger) ? trigger : null;

    /// <summary>Whether <paramref name="attribute"/> is one of the class-level rule attributes.</summary>
    public bool IsClassLevelRule(AttributeData attribute)
    {
        INamedTypeSymbol? type = attribute.AttributeClass;
        return type is not null
               && (SymbolEqualityComparer.Default.Equals(type, DenyAllAttribute)
                   || SymbolEqualityComparer.Default.Equals(type, RequireAgentIdAttribute)
                   || SymbolEqualityComparer.Default.Equals(type, RedactAttribute)
                   || SymbolEqualityComparer.Default.Equals(type, RateLimitAttribute)
                   || SymbolEqualityComparer.Default.Equals(type, RequireApprovalAttribute));
    }

    /// <summary>Whether <paramref name="method"/> carries at least one handler attribute.</summary>
    public bool IsHandler(IMethodSymbol method)
    {
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (HandlerTrigger(attribute) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="type"/> declares rules: class-level rule attributes or handler methods.</summary>
    public bool HoldsRules(INamedTypeSymbol type)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (IsClassLevelRule(attribute))
            {
                return true;
            }
        }

        foreach (ISymbol member in type.GetMembers())
        {
            if (member is IMethodSymbol method && IsHandler(method))
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(Dictionary<INamedTypeSymbol, PolicyTriggerKind> map, Compilation compilation, string name, PolicyTriggerKind trigger)
    {
        if (compilation.GetTypeByMetadataName(name) is { } type)
        {
            map[type] = trigger;
        }
    }
}
