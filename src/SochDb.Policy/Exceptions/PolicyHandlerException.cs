using System;
using System.Text;

namespace SochDb.Policy;

/// <summary>
/// An AfterWrite or AfterDelete handler threw. Those run after the change is durable, so the change stands: the
/// message says it was committed, and the handler's exception is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class PolicyHandlerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="operation">The committed operation.</param>
    /// <param name="key">Its key.</param>
    /// <param name="rule">The rule whose handler threw.</param>
    /// <param name="agentId">The caller's agent id.</param>
    /// <param name="innerException">What the handler threw.</param>
    public PolicyHandlerException(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyRuleInfo? rule, string? agentId, Exception innerException)
        : this(operation, key, rule, agentId, innerException, Encoding.UTF8.GetString(key))
    {
    }

    private PolicyHandlerException(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyRuleInfo? rule, string? agentId, Exception innerException,
        string keyText)
        : base(Describe(operation, keyText, rule, innerException), innerException)
    {
        ArgumentNullException.ThrowIfNull(innerException);
        Operation = operation;
        KeyBytes = key.ToArray();
        Key = Encoding.UTF8.GetString(KeyBytes);
        Rule = rule;
        AgentId = agentId;
    }

    /// <summary>The operation, which was committed.</summary>
    public PolicyOperation Operation { get; }

    /// <summary>The key as UTF-8 text.</summary>
    public string Key { get; }

    /// <summary>The key's exact bytes.</summary>
    public byte[] KeyBytes { get; }

    /// <summary>The trigger whose handler threw (AfterWrite or AfterDelete).</summary>
    public PolicyTrigger? Trigger => Rule?.Trigger;

    /// <summary>The rule whose handler threw.</summary>
    public PolicyRuleInfo? Rule { get; }

    /// <summary>The handler's name.</summary>
    public string? HandlerName => Rule?.HandlerName;

    /// <summary>The rule's pattern.</summary>
    public string? Pattern => Rule?.Pattern;

    /// <summary>The caller's agent id.</summary>
    public string? AgentId { get; }

    /// <summary>Always true: the change was made durable before the handler ran.</summary>
    public bool Committed => true;

    /// <summary>The engine's report, whose message shows the key as <paramref name="keyText"/> (masked where the decision log masks it).</summary>
    internal static PolicyHandlerException Create(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyRuleInfo? rule, string? agentId,
        Exception innerException, string keyText) =>
        new(operation, key, rule, agentId, innerException, keyText);

    // The handler's exception type, not its message (it can quote keys or values); the exception is the inner exception.
    private static string Describe(PolicyOperation operation, string keyText, PolicyRuleInfo? rule, Exception? inner) =>
        $"{PolicyViolationException.Verb(operation)} of \"{keyText}\" was committed, but "
        + $"{(rule is null ? "an after-handler" : rule.ToString())} threw {inner?.GetType().Name}.";
}
