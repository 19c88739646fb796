using System;
using System.Threading.Tasks;
using Xunit;

namespace SochDb.Policy.TestSupport;

/// <summary>
/// The engine's refusals as callers meet them: one exception type whose <see cref="PolicyViolationException.Cause"/>
/// says why, with the data of that cause set and the data of every other cause null.
/// </summary>
internal static class Refusals
{
    /// <summary>A rate limit's refusal: its limit and retry-after are set; no rule, trigger or approval.</summary>
    public static PolicyViolationException RateLimited(Action operation) => CheckRateLimited(Assert.Throws<PolicyViolationException>(operation));

    /// <inheritdoc cref="RateLimited(Action)"/>
    public static async Task<PolicyViolationException> RateLimitedAsync(Func<Task> operation) =>
        CheckRateLimited(await Assert.ThrowsAsync<PolicyViolationException>(operation));

    /// <inheritdoc cref="RateLimited(Action)"/>
    public static PolicyViolationException CheckRateLimited(PolicyViolationException refused)
    {
        Assert.Equal(PolicyRefusalCause.RateLimited, refused.Cause);
        Assert.NotNull(refused.RateLimit);
        Assert.True(refused.RetryAfter > TimeSpan.Zero, $"retry-after {refused.RetryAfter} is not positive");
        Assert.Null(refused.Approval);
        Assert.Null(refused.Rule);
        Assert.Null(refused.Trigger);
        Assert.Null(refused.InnerException);
        return refused;
    }

    /// <summary>An operation held for approval: the pending request is set (its rule and reason too); no rate-limit data.</summary>
    public static PolicyViolationException ApprovalRequired(Action operation) => CheckApprovalRequired(Assert.Throws<PolicyViolationException>(operation));

    /// <inheritdoc cref="ApprovalRequired(Action)"/>
    public static async Task<PolicyViolationException> ApprovalRequiredAsync(Func<Task> operation) =>
        CheckApprovalRequired(await Assert.ThrowsAsync<PolicyViolationException>(operation));

    /// <inheritdoc cref="ApprovalRequired(Action)"/>
    public static PolicyViolationException CheckApprovalRequired(PolicyViolationException refused)
    {
        Assert.Equal(PolicyRefusalCause.ApprovalRequired, refused.Cause);
        ApprovalRequest request = Assert.IsType<ApprovalRequest>(refused.Approval);
        Assert.Equal((ApprovalState.Pending, request.Operation, request.Rule), (request.State, refused.Operation, refused.Rule));
        Assert.Equal(request.KeyBytes, refused.KeyBytes);
        AssertNoRateLimitData(refused);
        Assert.Null(refused.InnerException);
        return refused;
    }

    /// <summary>A refusal of any other cause: neither rate-limit nor approval data.</summary>
    public static void AssertNoCauseData(PolicyViolationException refused)
    {
        Assert.NotEqual(PolicyRefusalCause.RateLimited, refused.Cause);
        Assert.NotEqual(PolicyRefusalCause.ApprovalRequired, refused.Cause);
        AssertNoRateLimitData(refused);
        Assert.Null(refused.Approval);
    }

    /// <summary>
    /// A decision on an approval that is not pending: an <see cref="InvalidOperationException"/> (the engine's own
    /// not-pending type, which the dashboard and the AI tools read the state from) whose message names the id and, for a
    /// known request, its state (unknown ids are said to be unknown).
    /// </summary>
    public static InvalidOperationException NotPending(Action decide, string approvalId, ApprovalState? state) =>
        CheckNotPending(Assert.ThrowsAny<InvalidOperationException>(decide), approvalId, state);

    /// <inheritdoc cref="NotPending(Action, string, ApprovalState?)"/>
    public static async Task<InvalidOperationException> NotPendingAsync(Func<Task> decide, string approvalId, ApprovalState? state) =>
        CheckNotPending(await Assert.ThrowsAnyAsync<InvalidOperationException>(decide), approvalId, state);

    /// <inheritdoc cref="NotPending(Action, string, ApprovalState?)"/>
    public static InvalidOperationException CheckNotPending(InvalidOperationException refused, string approvalId, ApprovalState? state)
    {
        Assert.Equal("SochDb.Policy.ApprovalNotPendingException", refused.GetType().FullName);
        Assert.StartsWith($"Approval \"{approvalId}\" is not pending", refused.Message, StringComparison.Ordinal);
        Assert.Contains(state is { } known ? $"(state {known})" : "no request has that id", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("nothing was executed.", refused.Message, StringComparison.Ordinal);
        return refused;
    }

    private static void AssertNoRateLimitData(PolicyViolationException refused) =>
        Assert.Equal((null, null, (TimeSpan?)null), (refused.RateLimit, refused.ScopeValue, refused.RetryAfter));
}
