using SochDb;

namespace SochDb.Policy.AI.Tests.Engine;

[RequireApproval(PolicyTrigger.BeforeWrite, "shared/**", "the team sees it")]
[RequireApproval(PolicyTrigger.BeforeDelete, "shared/**", "deleting shared notes is reviewed")]
[DenyAll(PolicyTrigger.BeforeWrite, "shared/frozen/*")]
internal static partial class SharingPolicies
{
}

/// <summary>[RequireApproval] compiled by the source generator behaves like the run-time verdict.</summary>
public sealed class CompiledApprovalTests
{
    [Fact]
    public void CompiledRequireApproval_HoldsTheWrite_AndApprovalRunsItOnce()
    {
        using Database store = Database.OpenInMemory();
        var engine = new PolicyEngine(store, SharingPolicies.Compiled);
        var context = new PolicyContext { AgentId = "alice" };

        ApprovalRequest request = Refusals.ApprovalRequired(() => engine.Put("shared/plan", "v", context)).Approval!;

        Assert.Equal(("the team sees it", "shared/**", PolicyTrigger.BeforeWrite), (request.Reason, request.Rule!.Pattern, request.Rule.Trigger));
        Assert.False(store.TryGet("shared/plan", out _));
        engine.Approvals.Approve(request.Id, "dana");
        Assert.True(store.TryGet("shared/plan", out _));
        Assert.Equal("deleting shared notes is reviewed",
            Refusals.ApprovalRequired(() => engine.Delete("shared/plan", context)).Approval!.Reason);
    }

    [Fact]
    public void CompiledDenyAll_WinsOverAnEarlierRequireApproval()
    {
        using Database store = Database.OpenInMemory();
        var engine = new PolicyEngine(store, SharingPolicies.Compiled);

        var error = Assert.Throws<PolicyViolationException>(() => engine.Put("shared/frozen/x", "v", PolicyContext.Empty));

        Assert.Equal(PolicyRefusalCause.Denied, error.Cause);
        Assert.Null(error.Approval);
        Assert.Empty(engine.Approvals.Pending);
    }
}
