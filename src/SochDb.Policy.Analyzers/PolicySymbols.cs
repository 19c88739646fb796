using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace SochDb.Policy.Analyzers;

/// <summary>
/// The SochDb.Policy types the analyzers look for, resolved once per compilation. A compilation that does not
/// reference SochDb.Policy gets <see langword="null"/> from <see cref="TryCreate"/>, and no analysis runs.
/// </summary>
internal sealed class PolicySymbols
{
    private readonly Dictionary<INamedTypeSymbol, PolicyTrigger> _handlerAttributes;

    private PolicySymbols(
        Dictionary<INamedTypeSymbol, PolicyTrigger> handlerAttributes,
        INamedTypeSymbol policyRequest,
        INamedTypeSymbol policyContext,
        INamedTypeSymbol policyAction,
        INamedTypeSymbol policyDecision,
        INamedTypeSymbol? denyAll,
        INamedTypeSymbol? requireAgentId,
        INamedTypeSymbol? redact,
        INamedTypeSymbol? rateLimit,
        INamedTypeSymbol? readOnlySpan,
        ImmutableArray<INamedTypeSymbol> taskTypes,
        INamedTypeSymbol? asyncMethodBuilderAttribute)
    {
        _handlerAttributes = handlerAttributes;
        PolicyRequest = policyRequest;
        PolicyContext = policyContext;
        PolicyAction = policyAction;
        PolicyDecision = policyDecision;
        DenyAllAttribute = denyAll;
        RequireAgentIdAttribute = requireAgentId;
        RedactAttribute = redact;
        RateLimitAttribute = rateLimit;
        ReadOnlySpan = readOnlySpan;
        TaskTypes = taskTypes;
        AsyncMethodBuilderAttribute = asyncMethodBuilderAttribute;
    }

    public INamedTypeSymbol PolicyRequest { get; }

    public INamedTypeSymbol PolicyContext { get; }

    public INamedTypeSymbol PolicyAction { get; }

    public INamedTypeSymbol PolicyDecision { get; }

    public INamedTypeSymbol? DenyAllAttribute { get; }

    public INamedTypeSymbol? RequireAgentIdAttribute { get; }

    public INamedTypeSymbol? RedactAttribute { get; }

    public INamedTypeSymbol? RateLimitAttribute { get; }

    /// <summary><c>System.ReadOnlySpan&lt;T&gt;</c> (unbound), for the seed's parameter list.</summary>
    public INamedTypeSymbol? ReadOnlySpan { get; }

    /// <summary>Task, Task&lt;T&gt;, ValueTask, ValueTask&lt;T&gt; (unbound where generic).</summary>
    public ImmutableArray<INamedTypeSymbol> TaskTypes { get; }

    public INamedTypeSymbol? AsyncMethodBuilderAttribute { get; }

    /// <summary>Resolves the symbols; <see langword="null"/> when the compilation does not reference SochDb.Policy.</summary>
    public static PolicySymbols? TryCreate(Compilation compilation)
    {
        INamedTypeSymbol? request = compilation.GetTypeByMetadataName("SochDb.Policy.PolicyRequest");
        INamedTypeSymbol? context = compilation.GetTypeByMetadataName("SochDb.Policy.PolicyContext");
        INamedTypeSymbol? action = compilation.GetTypeByMetadataName("SochDb.Policy.PolicyAction");
        INamedTypeSymbol? decision = compilation.GetTypeByMetadataName("SochDb.Policy.PolicyDecision");
        if (request is null || context is null || action is null || decision is null)
        {
            return null;
        }

        var handlers = new Dictionary<INamedTypeSymbol, PolicyTrigger>(SymbolEqualityComparer.Default);
        Add(handlers, compilation, "SochDb.Policy.BeforeWriteAttribute", PolicyTrigger.BeforeWrite);
        Add(handlers, compilation, "SochDb.Policy.AfterWriteAttribute", PolicyTrigger.AfterWrite);
        Add(handlers, compilation, "SochDb.Policy.BeforeReadAttribute", PolicyTrigger.BeforeRead);
        Add(handlers, compilation, "SochDb.Policy.AfterReadAttribute", PolicyTrigger.AfterRead);
        Add(handlers, compilation, "SochDb.Policy.BeforeDeleteAttribute", PolicyTrigger.BeforeDelete);
        Add(handlers, compilation, "SochDb.Policy.AfterDeleteAttribute", PolicyTrigger.AfterDelete);

        var tasks = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        foreach (string name in new[]
                 {
                     "System.Threading.Tasks.Task", "System.Threading.Tasks.Task`1",
                     "System.Threading.Tasks.ValueTask", "System.Threading.Tasks.ValueTask`1",
                 })
        {
            if (compilation.GetTypeByMetadataName(name) is { } task)
            {
                tasks.Add(task);
            }
        }

        return new PolicySymbols(
            handlers,
            request,
            context,
            action,
            decision,
            compilation.GetTypeByMetadataName("SochDb.Policy.DenyAllAttribute"),
            compilation.GetTypeByMetadataName("SochDb.Policy.RequireAgentIdAttribute"),
            compilation.GetTypeByMetadataName("SochDb.Policy.RedactAttribute"),
            compilation.GetTypeByMetadataName("SochDb.Policy.RateLimitAttribute"),
            compilation.GetTypeByMetadataName("System.ReadOnlySpan`1"),
            tasks.ToImmutable(),
            compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.AsyncMethodBuilderAttribute"));
    }

    /// <summary>The trigger of a handler attribute (<c>[BeforeWrite]</c> ...), or <see langword="null"/> for any other attribute.</summary>
    public PolicyTrigger? HandlerTrigger(AttributeData attribute) =>
        attribute.AttributeClass is { } type && _handlerAttributes.TryGetValue(type, out PolicyTrigger trigger) ? trigger : null;

    /// <summary>Whether <paramref name="attribute"/> is one of the class-level rule attributes.</summary>
    public bool IsClassLevelRule(AttributeData attribute)
    {
        INamedTypeSymbol? type = attribute.AttributeClass;
        return type is not null
               && (SymbolEqualityComparer.Default.Equals(type, DenyAllAttribute)
                   || SymbolEqualityComparer.Default.Equals(type, RequireAgentIdAttribute)
                   || SymbolEqualityComparer.Default.Equals(type, RedactAttribute)
                   || SymbolEqualityComparer.Default.Equals(type, RateLimitAttribute));
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

    private static void Add(Dictionary<INamedTypeSymbol, PolicyTrigger> map, Compilation compilation, string name, PolicyTrigger trigger)
    {
        if (compilation.GetTypeByMetadataName(name) is { } type)
        {
            map[type] = trigger;
        }
    }
}
