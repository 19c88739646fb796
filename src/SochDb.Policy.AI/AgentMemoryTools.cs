using System;
using System.Collections.Generic;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>
/// Guarded memory for one agent: four tools (read, write, delete, list) over a <see cref="PolicyEngine"/>, every key
/// relative to the agent's prefix. Give <see cref="All"/> to <see cref="ChatOptions.Tools"/>; each call goes through
/// the engine's rules, rate limits and audit, and the model gets a JSON result it can act on.
/// </summary>
/// <example>
/// <code>
/// var memory = new AgentMemoryTools(engine, new AgentMemoryOptions
/// {
///     KeyPrefix = "agents/alice/",
///     Context = new PolicyContext { AgentId = "alice" },
/// });
/// var options = new ChatOptions { Tools = [.. memory.All] };
/// </code>
/// </example>
public sealed class AgentMemoryTools
{
    private readonly PolicyContextResolver? _resolver;
    private readonly PolicyContext _context;

    /// <summary>Creates the tools for one agent.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="engine"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The prefix is empty, does not end with <c>/</c>, or leaves no room for a key.</exception>
    public AgentMemoryTools(PolicyEngine engine, AgentMemoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Engine = engine;
        Scope = new AgentKeyScope(options.KeyPrefix);
        _resolver = options.ContextResolver;
        _context = options.Context;
        MaxValueBytes = options.MaxValueBytes;
        MaxListKeys = options.MaxListKeys;
        Read = new ReadMemoryTool(this, options.ToolNamePrefix + "read");
        Write = new WriteMemoryTool(this, options.ToolNamePrefix + "write");
        Delete = new DeleteMemoryTool(this, options.ToolNamePrefix + "delete");
        List = new ListMemoryTool(this, options.ToolNamePrefix + "list");
        All = [Read, Write, Delete, List];
    }

    /// <summary>The agent's key prefix.</summary>
    public string KeyPrefix => Scope.Prefix;

    /// <summary>Reads one key: <c>{"key": "notes/today"}</c>.</summary>
    public MemoryTool Read { get; }

    /// <summary>Writes one key: <c>{"key": "notes/today", "value": "..."}</c>.</summary>
    public MemoryTool Write { get; }

    /// <summary>Deletes one key: <c>{"key": "notes/today"}</c>.</summary>
    public MemoryTool Delete { get; }

    /// <summary>Lists the keys under a prefix the agent may read: <c>{"prefix": "notes/"}</c>.</summary>
    public MemoryTool List { get; }

    /// <summary>The four tools, for <see cref="ChatOptions.Tools"/>.</summary>
    public IReadOnlyList<AITool> All { get; }

    internal PolicyEngine Engine { get; }

    internal AgentKeyScope Scope { get; }

    internal int MaxValueBytes { get; }

    internal int MaxListKeys { get; }

    internal PolicyContext ResolveContext(MemoryTool tool, AIFunctionArguments arguments)
    {
        if (_resolver is null)
        {
            return _context;
        }

        PolicyContext? context;
        try
        {
            context = _resolver(new MemoryToolInvocation(tool.Name, tool.Operation, arguments, FunctionInvokingChatClient.CurrentContext));
        }
        catch (Exception exception)
        {
            throw new ContextResolutionException("The context resolver threw.", exception);
        }

        return context ?? throw new ContextResolutionException("The context resolver returned null.");
    }
}
