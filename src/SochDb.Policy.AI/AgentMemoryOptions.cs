using System;

namespace SochDb.Policy.AI;

/// <summary>How an agent's memory tools are scoped and named.</summary>
public sealed record AgentMemoryOptions
{
    /// <summary>
    /// The agent's key prefix, ending with <c>/</c> (for example <c>agents/alice/</c>). Every key a tool takes is
    /// relative to it, so the agent can reach nothing outside it. Required.
    /// </summary>
    public required string KeyPrefix { get; init; }

    /// <summary>
    /// Who is calling, when <see cref="ContextResolver"/> is not set: the engine's rules and rate limits see this
    /// context on every tool call. Default: <see cref="PolicyContext.Empty"/>.
    /// </summary>
    public PolicyContext Context { get; init; } = PolicyContext.Empty;

    /// <summary>
    /// Builds the <see cref="PolicyContext"/> for each call from the invocation (its function-invocation context, chat
    /// options, services). When null, every call uses <see cref="Context"/>. The identity must come from the host,
    /// never from the model's arguments.
    /// </summary>
    public PolicyContextResolver? ContextResolver { get; init; }

    /// <summary>What the tools' names start with: <c>memory_</c> gives <c>memory_read</c>, <c>memory_write</c>, <c>memory_delete</c>, <c>memory_list</c>.</summary>
    public string ToolNamePrefix { get; init; } = "memory_";

    /// <summary>The largest value the write tool accepts, in UTF-8 bytes; default 64 KiB.</summary>
    public int MaxValueBytes { get; init; } = 64 * 1024;

    /// <summary>The most keys the list tool returns at once (the result then says <c>truncated</c>); default 100.</summary>
    public int MaxListKeys { get; init; } = 100;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(KeyPrefix, nameof(KeyPrefix));
        ArgumentNullException.ThrowIfNull(Context, nameof(Context));
        ArgumentException.ThrowIfNullOrEmpty(ToolNamePrefix, nameof(ToolNamePrefix));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxValueBytes, nameof(MaxValueBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxListKeys, nameof(MaxListKeys));
    }
}
