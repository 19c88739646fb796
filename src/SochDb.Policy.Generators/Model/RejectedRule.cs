namespace SochDb.Policy.Generators.Model;

/// <summary>
/// A policy attribute the generator cannot compile. It becomes an <c>#error</c> in the generated code, so the build
/// fails even when the analyzer diagnostic that explains it is suppressed or configured away.
/// </summary>
/// <param name="Attribute">The attribute as written, e.g. <c>[BeforeRead("users/*")]</c>.</param>
/// <param name="Target">What it is on: <c>AgentPolicies.Guard</c>, or a type's full name for class-level attributes.</param>
/// <param name="Reason">Why it cannot be compiled, ending with the diagnostic ID that reports it.</param>
internal sealed record RejectedRule(string Attribute, string Target, string Reason);
