namespace SochDb.Policy.Generators.Model;

/// <summary>Mirrors <c>SochDb.Policy.PolicyTrigger</c> (same names and values): the generator cannot reference the runtime.</summary>
internal enum PolicyTriggerKind
{
    BeforeWrite = 0,
    AfterWrite = 1,
    BeforeRead = 2,
    AfterRead = 3,
    BeforeDelete = 4,
    AfterDelete = 5,
}

/// <summary>Where a rule comes from.</summary>
internal enum RuleKind
{
    /// <summary>A static method carrying a trigger attribute.</summary>
    Handler,
    /// <summary>Class-level <c>[DenyAll(trigger, pattern)]</c>.</summary>
    DenyAll,
    /// <summary>Class-level <c>[RequireAgentId(trigger, pattern)]</c>.</summary>
    RequireAgentId,
    /// <summary>Class-level <c>[Redact(pattern, replacement)]</c> (AfterRead).</summary>
    Redact,
}

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
