using System;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>
/// The shared shape of the memory tools: a hand-written <see cref="AIFunction"/> (no reflection), whose every outcome
/// (success, refusal, failure, bad argument) is a JSON object the model can act on. Exceptions never reach the model:
/// their messages can carry keys and values the agent may not see.
/// </summary>
public abstract class MemoryTool : AIFunction
{
    private readonly JsonElement _schema;

    private protected MemoryTool(AgentMemoryTools memory, string name, string description, string schema)
    {
        Memory = memory;
        Name = name;
        Description = description;
        _schema = JsonDocument.Parse(schema).RootElement.Clone();
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override string Description { get; }

    /// <inheritdoc />
    public override JsonElement JsonSchema => _schema;

    /// <inheritdoc />
    public override JsonSerializerOptions JsonSerializerOptions => MemoryToolJsonContext.ForModels.Options;

    /// <summary>The store operation this tool performs.</summary>
    public abstract PolicyOperation Operation { get; }

    private protected AgentMemoryTools Memory { get; }

    /// <summary>Runs the tool; the result is a <see cref="JsonElement"/> object with a <c>status</c> field.</summary>
    protected sealed override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var call = new MemoryToolCall();
        MemoryToolResult result;
        try
        {
            result = await RunAsync(arguments, call, cancellationToken).ConfigureAwait(false);
        }
        catch (ToolArgumentException refused)
        {
            result = MemoryToolOutcomes.InvalidArgument(refused);
        }
        catch (Exception exception) when (!(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            result = MemoryToolOutcomes.FromException(exception, call.Key);
        }

        return JsonSerializer.SerializeToElement(result, MemoryToolJsonContext.ForModels.MemoryToolResult);
    }

    private protected abstract ValueTask<MemoryToolResult> RunAsync(AIFunctionArguments arguments, MemoryToolCall call, CancellationToken cancellationToken);

    /// <summary>The caller's context for this call, from the host's resolver.</summary>
    private protected PolicyContext ResolveContext(AIFunctionArguments arguments) => Memory.ResolveContext(this, arguments);
}
