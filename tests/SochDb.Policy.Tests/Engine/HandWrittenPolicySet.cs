using SochDb.Policy.CompilerServices;
namespace SochDb.Policy.Tests.Engine;

/// <summary>
/// A compiled set written by hand exactly as the source generator emits one: a static rule table, a switch on the
/// trigger, span comparisons for the patterns, <c>Enter</c> before each handler and <c>Apply</c> after it.
/// </summary>
internal sealed class HandWrittenPolicySet : CompiledPolicySet
{
    // [BeforeWrite("system/*")] -> AgentPolicies.BlockSystemWrites
    public static readonly PolicyRuleInfo BlockSystemWritesRule = new(PolicyTrigger.BeforeWrite, "system/*", "AgentPolicies.BlockSystemWrites");

    // [BeforeWrite("notes/**")] -> AgentPolicies.StampNotes
    public static readonly PolicyRuleInfo StampNotesRule = new(PolicyTrigger.BeforeWrite, "notes/**", "AgentPolicies.StampNotes");

    // [AfterRead("users/*/email")] -> AgentPolicies.RedactEmails
    public static readonly PolicyRuleInfo RedactEmailsRule = new(PolicyTrigger.AfterRead, "users/*/email", "AgentPolicies.RedactEmails");

    // [AfterWrite("**")] -> AgentPolicies.CountWrites
    public static readonly PolicyRuleInfo CountWritesRule = new(PolicyTrigger.AfterWrite, "**", "AgentPolicies.CountWrites");

    private static readonly byte[] Redacted = "[REDACTED]"u8.ToArray();

    private HandWrittenPolicySet(RateLimitRule[]? limits)
        : base("AgentPolicies", new[] { BlockSystemWritesRule, StampNotesRule, RedactEmailsRule, CountWritesRule }, limits)
    {
    }

    public static HandWrittenPolicySet Create(params RateLimitRule[] limits) => new(limits);

    /// <summary>Writes observed by the AfterWrite rule (a side effect, as observers have).</summary>
    public int WritesSeen;

    /// <summary>Handlers invoked, in order, for order assertions.</summary>
    public List<string> Calls { get; } = new();

    public override void Evaluate(ref PolicyEvaluation e)
    {
        ReadOnlySpan<byte> key = e.Key;
        switch (e.Trigger)
        {
            case PolicyTrigger.BeforeWrite:
                // "system/*": the literal "system/", then one segment without '/'.
                if (key.StartsWith("system/"u8) && key.Slice(7).IndexOf((byte)'/') < 0)
                {
                    e.Enter(BlockSystemWritesRule);
                    if (!e.Apply(BlockSystemWrites(e.Request)))
                    {
                        return;
                    }
                }

                // "notes/**": the literal "notes/", then anything.
                if (key.StartsWith("notes/"u8))
                {
                    e.Enter(StampNotesRule);
                    if (!e.Apply(StampNotes(e.Request)))
                    {
                        return;
                    }
                }

                break;
            case PolicyTrigger.AfterRead:
                // "users/*/email"
                if (key.StartsWith("users/"u8) && key.EndsWith("/email"u8) && key.Length >= 12
                    && key.Slice(6, key.Length - 12).IndexOf((byte)'/') < 0)
                {
                    e.Enter(RedactEmailsRule);
                    if (!e.Apply(RedactEmails(e.Request)))
                    {
                        return;
                    }
                }

                break;
            case PolicyTrigger.AfterWrite:
                e.Enter(CountWritesRule);
                CountWrites(e.Request);
                break;
        }
    }

    private PolicyDecision BlockSystemWrites(in PolicyRequest request)
    {
        Calls.Add("compiled:BlockSystemWrites");
        return request.Context.AgentId is null ? PolicyAction.Allow : PolicyAction.Deny;
    }

    private PolicyDecision StampNotes(in PolicyRequest request)
    {
        Calls.Add("compiled:StampNotes");
        return PolicyDecision.Modify([.. request.Value, .. "|compiled"u8]);
    }

    private PolicyDecision RedactEmails(in PolicyRequest request)
    {
        Calls.Add("compiled:RedactEmails");
        return request.Context.Has("redact_pii") ? PolicyDecision.Modify(Redacted) : PolicyDecision.Allow;
    }

    private void CountWrites(in PolicyRequest request) => Interlocked.Increment(ref WritesSeen);
}
