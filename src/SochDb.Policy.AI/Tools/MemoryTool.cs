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
        ApprovalScope? scope = ApprovalScope.Current is { } current && ReferenceEquals(current.Engine, Memory.Engine) ? current : null;
        FunctionInvocationContext? invocation = FunctionInvokingChatClient.CurrentContext;
        string? callId = invocation?.CallContent.CallId;
        MemoryToolResult result;
        try
        {
            result = scope is not null && callId is not null && scope.TryTakeGrant(callId, out string approvalId, out string approver)
                ? await RunApprovedAsync(approvalId, approver, call, cancellationToken).ConfigureAwait(false)
                : await RunAsync(arguments, call, cancellationToken).ConfigureAwait(false);
        }
        catch (ToolArgumentException refused)
        {
            result = MemoryToolOutcomes.InvalidArgument(refused);
        }
        catch (PolicyViolationException pending) when (pending.Cause == PolicyRefusalCause.ApprovalRequired && pending.Approval is not null)
        {
            result = MemoryToolOutcomes.ApprovalRequired(pending.Approval, call.Key);
            if (scope is not null && callId is not null && invocation is not null)
            {
                // The host decides: stop the tool loop here and let the approval client turn this call into a request.
                scope.AddRequested(callId, pending.Approval);
                invocation.Terminate = true;
            }
        }
        catch (Exception exception) when (!(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            result = MemoryToolOutcomes.FromException(exception, call.Key);
        }

        return JsonSerializer.SerializeToElement(result, MemoryToolJsonContext.ForModels.MemoryToolResult);
    }

    /// <summary>
    /// The host approved this call: run the engine's pending operation (not the arguments again) once, and report
    /// what it did as this tool would.
    /// </summary>
    private async ValueTask<MemoryToolResult> RunApprovedAsync(string approvalId, string approver, MemoryToolCall call, CancellationToken cancellationToken)
    {
        if (!Memory.Engine.Approvals.TryGet(approvalId, out ApprovalRequest? request)
            || request.Operation != Operation
            || !Memory.Scope.Contains(request.KeyBytes))
        {
            // Unknown here, or not this tool's operation under this agent's prefix: nothing runs.
            return MemoryToolOutcomes.NotPending(approvalId, request?.State, call.Key);
        }

        call.Key = Memory.Scope.ToRelativeKey(request.KeyBytes);
        ApprovalResult done;
        try
        {
            done = await Memory.Engine.Approvals.ApproveAsync(approvalId, approver, cancellationToken).ConfigureAwait(false);
        }
        catch (ApprovalNotPendingException refused)
        {
            return MemoryToolOutcomes.NotPending(approvalId, refused.State, call.Key);
        }

        return Operation switch
        {
            PolicyOperation.Write => new MemoryToolResult { Status = MemoryToolStatus.Ok, Key = call.Key },
            PolicyOperation.Delete => new MemoryToolResult { Status = MemoryToolStatus.Ok, Key = call.Key, Deleted = done.Removed },
            _ => MemoryValues.ReadResult(call.Key, done.Value),
        };
    }

    private protected abstract ValueTask<MemoryToolResult> RunAsync(AIFunctionArguments arguments, MemoryToolCall call, CancellationToken cancellationToken);

    /// <summary>The caller's context for this call, from the host's resolver.</summary>
    private protected PolicyContext ResolveContext(AIFunctionArguments arguments) => Memory.ResolveContext(this, arguments);
}
