using System;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>One call of a memory tool, as a <see cref="PolicyContextResolver"/> sees it.</summary>
public sealed class MemoryToolInvocation
{
    internal MemoryToolInvocation(string toolName, PolicyOperation operation, AIFunctionArguments arguments, FunctionInvocationContext? functionInvocation)
    {
        ToolName = toolName;
        Operation = operation;
        Arguments = arguments;
        FunctionInvocation = functionInvocation;
    }

    /// <summary>The tool's name (for example <c>memory_write</c>).</summary>
    public string ToolName { get; }

    /// <summary>The store operation the tool performs (<see cref="PolicyOperation.Read"/> for reads and lists).</summary>
    public PolicyOperation Operation { get; }

    /// <summary>
    /// The arguments: what the model sent, plus the host's <see cref="AIFunctionArguments.Services"/> and
    /// <see cref="AIFunctionArguments.Context"/>. Only the latter two are the host's word; the model chose the rest.
    /// </summary>
    public AIFunctionArguments Arguments { get; }

    /// <summary>
    /// The <see cref="FunctionInvokingChatClient"/>'s context when the call comes from one (its chat options,
    /// messages and call), else null (for example over MCP).
    /// </summary>
    public FunctionInvocationContext? FunctionInvocation { get; }

    /// <summary>The host's services for this call, if any.</summary>
    public IServiceProvider? Services => Arguments.Services;
}
