using System;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>Adds <see cref="PolicyApprovalChatClient"/> to a chat pipeline.</summary>
public static class PolicyApprovalChatClientBuilderExtensions
{
    /// <summary>
    /// Surfaces <paramref name="engine"/>'s approval requests as tool-approval requests. Call it before
    /// <c>UseFunctionInvocation()</c>, so that it wraps the function-invoking client.
    /// </summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="engine">The engine the memory tools use.</param>
    /// <param name="approver">The approver recorded when an approval response does not name one.</param>
    public static ChatClientBuilder UsePolicyApprovals(this ChatClientBuilder builder, PolicyEngine engine, string approver = "host")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(engine);
        return builder.Use(inner => new PolicyApprovalChatClient(inner, engine, approver));
    }
}
