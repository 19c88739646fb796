using System;
using System.Collections.Generic;
using System.Text;

namespace SochDb.Policy;

/// <summary>
/// What <see cref="PolicyEngine.Explain(PolicyOperation, ReadOnlySpan{byte}, PolicyContext?, byte[])"/> found: the
/// verdict the operation would get, the rule that decided it, every matching rule in order with its own verdict, and
/// every applicable rate limit with the tokens it has left.
/// </summary>
public sealed class PolicyExplanation
{
    internal PolicyExplanation(PolicyOperation operation, byte[] key, AuditResult verdict, PolicyRuleInfo? decidingRule, string? reason,
        IReadOnlyList<RuleExplanation> rules, IReadOnlyList<LimitExplanation> limits, byte[]? resultingValue)
    {
        Operation = operation;
        KeyBytes = key;
        Verdict = verdict;
        DecidingRule = decidingRule;
        Reason = reason;
        Rules = rules;
        Limits = limits;
        ResultingValue = resultingValue;
    }

    /// <summary>The operation explained.</summary>
    public PolicyOperation Operation { get; }

    /// <summary>The key explained, as UTF-8 text.</summary>
    public string Key => Encoding.UTF8.GetString(KeyBytes);

    /// <summary>The key's exact bytes.</summary>
    public byte[] KeyBytes { get; }

    /// <summary>
    /// The outcome the operation would get: Allowed, Denied, Modified, RateLimited, Failed, WouldDeny (a shadow rule
    /// would deny; the operation would proceed) or ApprovalRequired.
    /// </summary>
    public AuditResult Verdict { get; }

    /// <summary>The rule that decides the verdict (the denying, failing, modifying or would-deny rule); null otherwise.</summary>
    public PolicyRuleInfo? DecidingRule { get; }

    /// <summary>Why, when a rule or limit said.</summary>
    public string? Reason { get; }

    /// <summary>
    /// No rule matched the key for this operation: the operation is allowed by default, as distinct from allowed by a
    /// rule that matched.
    /// </summary>
    public bool NoRuleMatched => Rules.Count == 0;

    /// <summary>Every matching rule, in the order the engine runs them, each with its own verdict.</summary>
    public IReadOnlyList<RuleExplanation> Rules { get; }

    /// <summary>Every rate limit that applies to the operation, with the caller's tokens left and retry-after.</summary>
    public IReadOnlyList<LimitExplanation> Limits { get; }

    /// <summary>For a Modified verdict: the value that would be written (a write) or that the reader would get (a read).</summary>
    public byte[]? ResultingValue { get; }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Operation).Append(" \"").Append(Key).Append("\": ").Append(Verdict);
        if (DecidingRule is not null)
        {
            text.Append(" by ").Append(DecidingRule);
        }

        if (Reason is not null)
        {
            text.Append(" (").Append(Reason).Append(')');
        }

        if (NoRuleMatched)
        {
            text.Append("; no rule matched");
        }

        foreach (RuleExplanation rule in Rules)
        {
            text.AppendLine().Append("  ").Append(rule);
        }

        foreach (LimitExplanation limit in Limits)
        {
            text.AppendLine().Append("  ").Append(limit);
        }

        return text.ToString();
    }
}

/// <summary>What one matching rule decided.</summary>
/// <param name="Rule">The rule.</param>
/// <param name="Outcome">Its own verdict, in the decision log's words: Allowed, Denied, Modified, Failed (its handler threw or returned a verdict its trigger cannot take) or ApprovalRequired.</param>
/// <param name="Reason">The reason it gave (a denial's reason, a failure's exception).</param>
/// <param name="Shadow">Whether it ran in shadow (its verdict recorded, not applied).</param>
/// <param name="Reached">Whether a real operation would run it: false for rules after the deciding denial (Explain runs
/// them anyway, to show their verdicts).</param>
public sealed record RuleExplanation(PolicyRuleInfo Rule, AuditResult Outcome, string? Reason, bool Shadow, bool Reached)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Rule}: {Outcome}{(Reason is null ? "" : $" ({Reason})")}{(Shadow ? " [shadow]" : "")}{(Reached ? "" : " [not reached]")}";
}

/// <summary>One rate limit's state for the caller.</summary>
/// <param name="Limit">The limit.</param>
/// <param name="ScopeValue">The caller's scope value (null: global, or the shared bucket of callers lacking it).</param>
/// <param name="TokensLeft">Whole tokens the caller's bucket holds now.</param>
/// <param name="RetryAfter">How long until a token is available (zero when one is).</param>
public sealed record LimitExplanation(RateLimitRule Limit, string? ScopeValue, long TokensLeft, TimeSpan RetryAfter)
{
    /// <inheritdoc />
    public override string ToString() => $"{Limit} [{ScopeValue ?? "-"}]: {TokensLeft} left, retry after {RetryAfter}";
}
