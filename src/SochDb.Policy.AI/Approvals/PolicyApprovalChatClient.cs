using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>
/// Surfaces the engine's approval requests as Microsoft.Extensions.AI tool-approval requests, so the host's
/// human-in-the-loop flow handles them. Place it outside the <see cref="FunctionInvokingChatClient"/>:
/// <c>new ChatClientBuilder(model).UsePolicyApprovals(engine).UseFunctionInvocation().Build()</c>.
/// </summary>
/// <remarks>
/// <para>
/// When a memory tool meets a <see cref="PolicyViolationException"/> of cause <see cref="PolicyRefusalCause.ApprovalRequired"/>,
/// the tool loop stops and the response carries, in place of that call and its result, a <see cref="ToolApprovalRequestContent"/> whose <c>RequestId</c> is
/// <see cref="RequestIdPrefix"/> followed by the engine's approval id and whose <c>ToolCall</c> is the model's call.
/// The host answers with <see cref="ToolApprovalRequestContent.CreateResponse"/> in its next request.
/// </para>
/// <para>
/// Approved: the function-invoking client runs the call again, and the tool runs the engine's pending operation through
/// <see cref="PolicyApprovals.ApproveAsync"/>, exactly once, as its original caller (the model gets that run's result).
/// Rejected: the engine's request is rejected (audited) and the model is told the call was rejected. The approver's
/// name is the response's <c>AdditionalProperties["approver"]</c> when it is a string, else the name given here.
/// A streaming call is answered by buffering the full response, since an approval can only be known at its end.
/// </para>
/// </remarks>
public sealed class PolicyApprovalChatClient : DelegatingChatClient
{
    /// <summary>What the <c>ToolApprovalRequestContent.RequestId</c> of an engine approval starts with.</summary>
    public const string RequestIdPrefix = "sochdb-approval:";

    private readonly PolicyEngine _engine;
    private readonly string _approver;

    /// <summary>Creates the client.</summary>
    /// <param name="innerClient">The client to call: a <see cref="FunctionInvokingChatClient"/> (or a pipeline that has one).</param>
    /// <param name="engine">The engine whose approvals the memory tools raise.</param>
    /// <param name="approver">The approver recorded when a response does not name one.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="approver"/> is empty.</exception>
    public PolicyApprovalChatClient(IChatClient innerClient, PolicyEngine engine, string approver = "host")
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentException.ThrowIfNullOrEmpty(approver);
        _engine = engine;
        _approver = approver;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        List<ChatMessage> history = [.. messages];
        var scope = new ApprovalScope(_engine);
        ApplyDecisions(history, scope);

        ApprovalScope? outer = ApprovalScope.Current;
        ApprovalScope.Current = scope;
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(history, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ApprovalScope.Current = outer;
        }

        IReadOnlyList<(string CallId, ApprovalRequest Request)> requested = scope.Requested;
        if (requested.Count > 0)
        {
            response.Messages = AskForApproval(response.Messages, requested);
        }

        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <summary>Turns the host's answers to our approval requests into grants (approved) or rejections, once each.</summary>
    private void ApplyDecisions(List<ChatMessage> history, ApprovalScope scope)
    {
        // An answer whose call already has a result was handled on an earlier turn (hosts keep them in the history).
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (AIContent content in history.SelectMany(static m => m.Contents))
        {
            if (content is FunctionResultContent result)
            {
                answered.Add(result.CallId);
            }
        }

        foreach (AIContent content in history.SelectMany(static m => m.Contents))
        {
            if (content is not ToolApprovalResponseContent { ToolCall: FunctionCallContent call } decision
                || !decision.RequestId.StartsWith(RequestIdPrefix, StringComparison.Ordinal)
                || answered.Contains(call.CallId))
            {
                continue;
            }

            string approvalId = decision.RequestId[RequestIdPrefix.Length..];
            string approver = decision.AdditionalProperties?.TryGetValue("approver", out object? named) is true && named is string { Length: > 0 } name
                ? name
                : _approver;
            if (decision.Approved)
            {
                scope.Grant(call.CallId, approvalId, approver);
                continue;
            }

            try
            {
                _engine.Approvals.Reject(approvalId, decision.Reason, approver);
            }
            catch (ApprovalNotPendingException)
            {
                // Already decided or expired (and audited as such): nothing can run either way.
            }
        }
    }

    /// <summary>Replaces each call that met an approval requirement with an approval request, and drops its placeholder result.</summary>
    private static List<ChatMessage> AskForApproval(IList<ChatMessage> messages, IReadOnlyList<(string CallId, ApprovalRequest Request)> requested)
    {
        var byCall = new Dictionary<string, ApprovalRequest>(StringComparer.Ordinal);
        foreach ((string callId, ApprovalRequest request) in requested)
        {
            byCall[callId] = request;
        }

        var converted = new List<ChatMessage>(messages.Count);
        foreach (ChatMessage message in messages)
        {
            var contents = new List<AIContent>(message.Contents.Count);
            bool changed = false;
            foreach (AIContent content in message.Contents)
            {
                switch (content)
                {
                    case FunctionCallContent call when byCall.TryGetValue(call.CallId, out ApprovalRequest? request):
                        // A fresh call: the function-invoking client marked the one it ran as informational (handled),
                        // and an approval for a handled call would be ignored.
                        var pendingCall = new FunctionCallContent(call.CallId, call.Name, call.Arguments)
                        {
                            AdditionalProperties = call.AdditionalProperties,
                            RawRepresentation = call.RawRepresentation,
                        };
                        contents.Add(new ToolApprovalRequestContent(RequestIdPrefix + request.Id, pendingCall));
                        changed = true;
                        break;
                    case FunctionResultContent result when byCall.ContainsKey(result.CallId):
                        changed = true;
                        break;
                    default:
                        contents.Add(content);
                        break;
                }
            }

            if (!changed)
            {
                converted.Add(message);
            }
            else if (contents.Count > 0)
            {
                ChatMessage copy = message.Clone();
                copy.Contents = contents;
                converted.Add(copy);
            }
        }

        return converted;
    }
}
