using System;
using System.Collections.Generic;
using System.Threading;
using SochDb.Policy.Audit;
using SochDb.Policy.Engine;
using SochDb.Policy.Explaining;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Says what <paramref name="operation"/> on <paramref name="key"/> would get, and why, without doing it: it runs the
    /// decision handlers of the operation's before-trigger (and, for a read of a present key, the AfterRead handlers),
    /// but writes nothing, spends no token, and records no audit entry or metric. Observers (AfterWrite, AfterDelete)
    /// are not run.
    /// </summary>
    /// <param name="operation">Read, Write or Delete.</param>
    /// <param name="key">The key.</param>
    /// <param name="context">The caller's context.</param>
    /// <param name="value">For a write, the value that would be written; for a read, the value the AfterRead handlers
    /// judge (null: the stored value, read from the store; a read changes nothing).</param>
    /// <returns>The verdict, the deciding rule, every matching rule with its own verdict, and every applicable limit.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is not Read, Write or Delete.</exception>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    public PolicyExplanation Explain(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext? context = null, byte[]? value = null)
    {
        if (operation is not (PolicyOperation.Read or PolicyOperation.Write or PolicyOperation.Delete))
        {
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "Explain takes Read, Write or Delete.");
        }

        KeyRules.Validate(key);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        byte[] ownKey = key.ToArray();
        List<LimitExplanation> limits = _limiter.Peek(operation, ctx);
        RuleTable rules = Volatile.Read(ref _rules);
        var recorder = new ExplanationRecorder();

        PolicyTrigger trigger = operation switch
        {
            PolicyOperation.Write => PolicyTrigger.BeforeWrite,
            PolicyOperation.Read => PolicyTrigger.BeforeRead,
            _ => PolicyTrigger.BeforeDelete,
        };
        var before = new PolicyEvaluation(trigger, ownKey, operation == PolicyOperation.Write ? value : default, ctx);
        before.RecordInto(recorder);
        DecisionOutcome outcome = DecisionOutcome.Of(ref before, RunDecisions(ref before, rules, OperationScratch.Current), default, null);
        bool goesOn = !outcome.IsRefusal && outcome.Result != AuditResult.ApprovalRequired;

        if (goesOn && operation == PolicyOperation.Read)
        {
            byte[]? read = value ?? (_store.TryGet(ownKey, out byte[]? stored) ? stored : null);
            if (read is not null)
            {
                var after = new PolicyEvaluation(PolicyTrigger.AfterRead, ownKey, read, ctx);
                after.RecordInto(recorder);
                outcome = DecisionOutcome.Of(ref after, RunDecisions(ref after, rules, OperationScratch.Current), outcome.Shadow, null);
                goesOn = !outcome.IsRefusal;
            }
        }

        LimitExplanation? exhausted = null;
        foreach (LimitExplanation limit in limits)
        {
            if (limit.TokensLeft < 1 && (exhausted is null || limit.RetryAfter > exhausted.RetryAfter))
            {
                exhausted = limit;
            }
        }

        if (exhausted is not null)
        {
            // Limits are checked first: a request without a token never reaches the handlers.
            return new PolicyExplanation(operation, ownKey, AuditResult.RateLimited, null,
                PolicyViolationException.DescribeLimit(exhausted.Limit, exhausted.ScopeValue, exhausted.RetryAfter),
                recorder.Rules, limits, null);
        }

        // The same outcome an operation would record, reported instead of applied.
        return outcome.Result switch
        {
            _ when !goesOn => new PolicyExplanation(operation, ownKey, outcome.Result, outcome.Rule, outcome.Reason, recorder.Rules, limits, null),
            AuditResult.WouldDeny => new PolicyExplanation(operation, ownKey, AuditResult.WouldDeny, outcome.Rule, outcome.Shadow.Reason,
                recorder.Rules, limits, outcome.ModifiedValue),
            AuditResult.Modified => new PolicyExplanation(operation, ownKey, AuditResult.Modified, outcome.Rule, null, recorder.Rules, limits,
                outcome.ModifiedValue),
            _ => new PolicyExplanation(operation, ownKey, AuditResult.Allowed, null, null, recorder.Rules, limits, null),
        };
    }

    /// <summary>Explains an operation on the UTF-8 <paramref name="key"/>.</summary>
    /// <inheritdoc cref="Explain(PolicyOperation, ReadOnlySpan{byte}, PolicyContext?, byte[])"/>
    public PolicyExplanation Explain(PolicyOperation operation, string key, PolicyContext? context = null, byte[]? value = null) =>
        Explain(operation, KeyRules.Encode(key), context, value);
}
