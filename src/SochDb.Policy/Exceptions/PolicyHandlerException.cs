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
        : base(Describe(operation, key, rule, innerException), innerException)
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

    private static string Describe(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyRuleInfo? rule, Exception? inner) =>
        $"{PolicyViolationException.Verb(operation)} of \"{Encoding.UTF8.GetString(key)}\" was committed, but "
        + $"{(rule is null ? "an after-handler" : rule.ToString())} threw {inner?.GetType().Name}: {inner?.Message}";
}
