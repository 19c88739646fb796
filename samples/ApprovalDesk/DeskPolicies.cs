using SochDb.Policy;

namespace ApprovalDesk;

/// <summary>The rules both processes run: writes to shared notes and to the vault wait for a person; vault keys are masked.</summary>
public static class DeskPolicies
{
    public static readonly string[] MaskedKeys = ["vault/**"];

    public static void Apply(PolicyEngine engine)
    {
        engine.BeforeWrite("shared/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("the whole team reads shared notes"), "ApproveSharing");
        engine.BeforeWrite("vault/**", static (in PolicyRequest _) => PolicyDecision.RequireApproval("vault writes are reviewed"), "ReviewVault");
        engine.BeforeDelete("**", static (in PolicyRequest _) => PolicyDecision.Deny("agents do not delete"), "NoDeletes", EnforcementMode.Shadow);
        engine.AddRateLimit(PolicyOperation.Write, 60, RateLimitRule.AgentIdScope);
    }
}
