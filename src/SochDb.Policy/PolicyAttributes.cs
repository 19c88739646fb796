using System;

namespace SochDb.Policy;

/// <summary>Base of the handler attributes. The source generator reads them; they do nothing at run time.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public abstract class PolicyHandlerAttribute : Attribute
{
    /// <summary>Binds the method to keys matching <paramref name="pattern"/>.</summary>
    /// <remarks>Not derivable outside this library: the generator knows exactly the six handler attributes.</remarks>
    private protected PolicyHandlerAttribute(string pattern) => Pattern = pattern;

    /// <summary>The glob pattern (grammar: <see href="https://github.com/sochdb/sochdb/blob/main/docs/semantics.md#glob-grammar">docs/semantics.md</see>).</summary>
    public string Pattern { get; }

    /// <summary>Lower runs first within the class; ties keep declaration order.</summary>
    public int Order { get; set; }
}

/// <summary>Runs the method before a write to a matching key; it may deny or (returning <see cref="PolicyDecision"/>) modify the value.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class BeforeWriteAttribute : PolicyHandlerAttribute
{
    /// <inheritdoc cref="PolicyHandlerAttribute(string)"/>
    public BeforeWriteAttribute(string pattern) : base(pattern) { }
}

/// <summary>Runs the method after a write to a matching key is durable (side effects only).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class AfterWriteAttribute : PolicyHandlerAttribute
{
    /// <inheritdoc cref="PolicyHandlerAttribute(string)"/>
    public AfterWriteAttribute(string pattern) : base(pattern) { }
}

/// <summary>Runs the method before a read of a matching key; it may deny.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class BeforeReadAttribute : PolicyHandlerAttribute
{
    /// <inheritdoc cref="PolicyHandlerAttribute(string)"/>
    public BeforeReadAttribute(string pattern) : base(pattern) { }
}

/// <summary>Runs the method after a read of a matching key; it may deny (withhold) or modify (redact) the value.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class AfterReadAttribute : PolicyHandlerAttribute
{
    /// <inheritdoc cref="PolicyHandlerAttribute(string)"/>
    public AfterReadAttribute(string pattern) : base(pattern) { }
}

/// <summary>Runs the method before a delete of a matching key; it may deny.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class BeforeDeleteAttribute : PolicyHandlerAttribute
{
    /// <inheritdoc cref="PolicyHandlerAttribute(string)"/>
    public BeforeDeleteAttribute(string pattern) : base(pattern) { }
}

/// <summary>Runs the method after a delete of a matching key is durable (side effects only).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class AfterDeleteAttribute : PolicyHandlerAttribute
{
    /// <inheritdoc cref="PolicyHandlerAttribute(string)"/>
    public AfterDeleteAttribute(string pattern) : base(pattern) { }
}

/// <summary>Class-level rule: deny every operation of <c>trigger</c> on keys matching the pattern.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenyAllAttribute : Attribute
{
    /// <summary>Creates the rule.</summary>
    public DenyAllAttribute(PolicyTrigger trigger, string pattern)
    {
        Trigger = trigger;
        Pattern = pattern;
    }

    /// <summary>The trigger (a Before* trigger).</summary>
    public PolicyTrigger Trigger { get; }

    /// <summary>The glob pattern.</summary>
    public string Pattern { get; }

    /// <summary>Lower runs first; ties keep declaration order.</summary>
    public int Order { get; set; }
}

/// <summary>Class-level rule: deny callers without an agent id on keys matching the pattern.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RequireAgentIdAttribute : Attribute
{
    /// <summary>Creates the rule.</summary>
    public RequireAgentIdAttribute(PolicyTrigger trigger, string pattern)
    {
        Trigger = trigger;
        Pattern = pattern;
    }

    /// <summary>The trigger (a Before* trigger).</summary>
    public PolicyTrigger Trigger { get; }

    /// <summary>The glob pattern.</summary>
    public string Pattern { get; }

    /// <summary>Lower runs first; ties keep declaration order.</summary>
    public int Order { get; set; }
}

/// <summary>
/// Class-level rule: operations of <c>trigger</c> (BeforeWrite, BeforeRead or BeforeDelete) on keys matching the pattern
/// wait for a person's approval (<see cref="PolicyDecision.RequireApproval"/>; see docs/agents.md).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RequireApprovalAttribute : Attribute
{
    /// <summary>Creates the rule.</summary>
    public RequireApprovalAttribute(PolicyTrigger trigger, string pattern, string reason)
    {
        Trigger = trigger;
        Pattern = pattern;
        Reason = reason;
    }

    /// <summary>The trigger (BeforeWrite, BeforeRead or BeforeDelete).</summary>
    public PolicyTrigger Trigger { get; }

    /// <summary>The glob pattern.</summary>
    public string Pattern { get; }

    /// <summary>Why a person must look, shown to the approver.</summary>
    public string Reason { get; }

    /// <summary>Lower runs first; ties keep declaration order.</summary>
    public int Order { get; set; }
}

/// <summary>Class-level rule: on AfterRead, replace the value of keys matching the pattern with <c>replacement</c> (UTF-8).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RedactAttribute : Attribute
{
    /// <summary>Creates the rule.</summary>
    public RedactAttribute(string pattern, string replacement)
    {
        Pattern = pattern;
        Replacement = replacement;
    }

    /// <summary>The glob pattern.</summary>
    public string Pattern { get; }

    /// <summary>The text returned instead of the stored value.</summary>
    public string Replacement { get; }

    /// <summary>Lower runs first; ties keep declaration order.</summary>
    public int Order { get; set; }
}

/// <summary>
/// Class-level rate limit carried by the compiled set and installed by the engine: a token bucket of
/// <see cref="MaxPerMinute"/> tokens per scope value that starts full and refills at <see cref="MaxPerMinute"/> a minute,
/// so a burst of that many passes at once and up to about twice that many can pass within the first minute.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RateLimitAttribute : Attribute
{
    /// <summary>Limits <paramref name="operation"/> to a bucket of <paramref name="maxPerMinute"/> tokens refilled at <paramref name="maxPerMinute"/> a minute, per scope value.</summary>
    public RateLimitAttribute(PolicyOperation operation, int maxPerMinute)
    {
        Operation = operation;
        MaxPerMinute = maxPerMinute;
    }

    /// <summary>The operation limited.</summary>
    public PolicyOperation Operation { get; }

    /// <summary>Capacity and refill per minute; must be positive.</summary>
    public int MaxPerMinute { get; }

    /// <summary><c>global</c> (default), <c>agent_id</c>, <c>session_id</c> or a custom context item name.</summary>
    public string Scope { get; set; } = "global";
}
