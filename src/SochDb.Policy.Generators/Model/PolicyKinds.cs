namespace SochDb.Policy.Generators.Model;

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
    /// <summary>Class-level <c>[RequireApproval(trigger, pattern, reason)]</c> (before-triggers; the reason rides in <c>Replacement</c>).</summary>
    RequireApproval,
}
