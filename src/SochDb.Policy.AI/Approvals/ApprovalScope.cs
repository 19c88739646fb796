using System;
using System.Collections.Generic;
using System.Threading;

namespace SochDb.Policy.AI;

/// <summary>
/// What one <see cref="PolicyApprovalChatClient"/> call shares with the tools it causes to run: the approvals the
/// host granted (by tool call id) and the approval requests the tools met. Flows to the tools through an
/// <see cref="AsyncLocal{T}"/>, so it reaches exactly the tool calls made inside that chat call.
/// </summary>
internal sealed class ApprovalScope
{
    private static readonly AsyncLocal<ApprovalScope?> s_current = new();

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string ApprovalId, string Approver)> _grants = new(StringComparer.Ordinal);
    private readonly List<(string CallId, ApprovalRequest Request)> _requested = [];

    public ApprovalScope(PolicyEngine engine) => Engine = engine;

    /// <summary>The scope of the chat call in progress, if it goes through a <see cref="PolicyApprovalChatClient"/>.</summary>
    public static ApprovalScope? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    public PolicyEngine Engine { get; }

    public void Grant(string callId, string approvalId, string approver)
    {
        lock (_gate)
        {
            _grants[callId] = (approvalId, approver);
        }
    }

    /// <summary>The approval the host granted for this tool call, taken (a call is run with it at most once).</summary>
    public bool TryTakeGrant(string callId, out string approvalId, out string approver)
    {
        lock (_gate)
        {
            if (_grants.Remove(callId, out (string ApprovalId, string Approver) grant))
            {
                (approvalId, approver) = grant;
                return true;
            }
        }

        approvalId = approver = "";
        return false;
    }

    public void AddRequested(string callId, ApprovalRequest request)
    {
        lock (_gate)
        {
            _requested.Add((callId, request));
        }
    }

    public IReadOnlyList<(string CallId, ApprovalRequest Request)> Requested
    {
        get
        {
            lock (_gate)
            {
                return [.. _requested];
            }
        }
    }
}
