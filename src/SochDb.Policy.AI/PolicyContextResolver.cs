namespace SochDb.Policy.AI;

/// <summary>Builds the <see cref="PolicyContext"/> the engine judges a tool call with, from the host's side of the call.</summary>
/// <param name="invocation">The call being made.</param>
/// <returns>The caller's context (never null).</returns>
public delegate PolicyContext PolicyContextResolver(MemoryToolInvocation invocation);
