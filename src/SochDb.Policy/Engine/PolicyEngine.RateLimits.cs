using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.Engine;
using SochDb.Policy.RateLimiting;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// The tokens one guarded call needs: one for a single operation, or, for a batch, one per put from Write limits,
    /// one per delete from Delete limits and one per item from All limits. The refusal is recorded under
    /// <see cref="Operation"/>.
    /// </summary>
    private readonly struct LimitDemand
    {
        private LimitDemand(PolicyOperation operation, int puts, int deletes)
        {
            Operation = operation;
            Puts = puts;
            Deletes = deletes;
        }

        public PolicyOperation Operation { get; }

        /// <summary>For a batch: its puts; -1 for a single operation.</summary>
        public int Puts { get; }

        public int Deletes { get; }

        public bool IsBatch => Puts >= 0;

        public static LimitDemand Single(PolicyOperation operation) => new(operation, -1, 0);

        public static LimitDemand Batch(int puts, int deletes) => new(PolicyOperation.Write, puts, deletes);
    }

    /// <summary>
    /// Takes the tokens of <paramref name="demand"/> from every applicable limit, or none; throws (audited) when a limit
    /// refuses or the backend is unavailable and fails closed. Returns a note for the outcome's audit entry when the
    /// limits were not checked as configured (backend unavailable: fail open or local fallback), else null.
    /// </summary>
    private string? AcquireOrThrow(in LimitDemand demand, ReadOnlySpan<byte> key, PolicyContext context)
    {
        if (!Applies(demand))
        {
            return null;
        }

        if (_limitBackend is null)
        {
            return TryAcquireLocally(demand, context, out RateLimitRefusal refusal)
                ? null
                : throw RefuseByLimit(demand.Operation, key, context, refusal);
        }

        RateLimitAcquisition[] acquisitions = DescribeAcquisitions(demand, context);
        RateLimitBackendResult result;
        try
        {
            result = _limitBackend.TryAcquire(acquisitions);
        }
        catch (Exception exception)
        {
            return OnBackendFailure(demand, key, context, exception);
        }

        return Settle(demand, key, context, acquisitions, result);
    }

    /// <summary>The asynchronous twin of <see cref="AcquireOrThrow"/>: a backend that talks to a server is awaited.</summary>
    private async ValueTask<string?> AcquireOrThrowAsync(LimitDemand demand, ReadOnlyMemory<byte> key, PolicyContext context,
        CancellationToken cancellationToken)
    {
        if (_limitBackend is null || !Applies(demand))
        {
            return AcquireOrThrow(demand, key.Span, context);
        }

        RateLimitAcquisition[] acquisitions = DescribeAcquisitions(demand, context);
        RateLimitBackendResult result;
        try
        {
            result = await _limitBackend.TryAcquireAsync(acquisitions, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Nothing was judged or written; whether the backend spent a token is unknown, so the outcome is recorded.
            Record(demand.Operation, key.Span, context, AuditResult.Failed, null,
                "cancelled while the rate-limit backend was asked; nothing changed");
            throw;
        }
        catch (Exception exception)
        {
            return OnBackendFailure(demand, key.Span, context, exception);
        }

        return Settle(demand, key.Span, context, acquisitions, result);
    }

    private bool Applies(in LimitDemand demand) => demand.IsBatch
        ? (demand.Puts > 0 && _limiter.Applies(PolicyOperation.Write)) || (demand.Deletes > 0 && _limiter.Applies(PolicyOperation.Delete))
        : _limiter.Applies(demand.Operation);

    private bool TryAcquireLocally(in LimitDemand demand, PolicyContext context, out RateLimitRefusal refusal) => demand.IsBatch
        ? _limiter.TryAcquireBatch(demand.Puts, demand.Deletes, context, out refusal)
        : _limiter.TryAcquire(demand.Operation, context, out refusal);

    /// <summary>One acquisition per applicable limit, each with its scope value and tokens (a limit on All once).</summary>
    private RateLimitAcquisition[] DescribeAcquisitions(in LimitDemand demand, PolicyContext context)
    {
        if (!demand.IsBatch)
        {
            RateLimitState[] limits = _limiter.LimitsFor(demand.Operation);
            var single = new RateLimitAcquisition[limits.Length];
            for (int i = 0; i < limits.Length; i++)
            {
                single[i] = new RateLimitAcquisition(limits[i].Rule, limits[i].ScopeValue(context), 1);
            }

            return single;
        }

        int puts = demand.Puts;
        int deletes = demand.Deletes;
        var acquisitions = new List<RateLimitAcquisition>();
        if (puts > 0)
        {
            foreach (RateLimitState limit in _limiter.LimitsFor(PolicyOperation.Write))
            {
                int tokens = limit.Rule.Operation == PolicyOperation.All ? puts + deletes : puts;
                acquisitions.Add(new RateLimitAcquisition(limit.Rule, limit.ScopeValue(context), tokens));
            }
        }

        if (deletes > 0)
        {
            foreach (RateLimitState limit in _limiter.LimitsFor(PolicyOperation.Delete))
            {
                if (limit.Rule.Operation == PolicyOperation.All && puts > 0)
                {
                    continue; // already counted with the puts
                }

                int tokens = limit.Rule.Operation == PolicyOperation.All ? puts + deletes : deletes;
                acquisitions.Add(new RateLimitAcquisition(limit.Rule, limit.ScopeValue(context), tokens));
            }
        }

        return acquisitions.ToArray();
    }

    /// <summary>The backend's answer: null when acquired, else the refusal (audited) is thrown.</summary>
    private string? Settle(in LimitDemand demand, ReadOnlySpan<byte> key, PolicyContext context, RateLimitAcquisition[] acquisitions,
        RateLimitBackendResult result)
    {
        if (result.IsAcquired)
        {
            return null;
        }

        if ((uint)result.RefusedIndex >= (uint)acquisitions.Length)
        {
            throw new InvalidOperationException(
                $"The rate-limit backend refused acquisition {result.RefusedIndex} of {acquisitions.Length}, which does not exist.");
        }

        RateLimitAcquisition refused = acquisitions[result.RefusedIndex];
        throw RefuseByLimit(demand.Operation, key, context, new RateLimitRefusal(refused.Limit, refused.ScopeValue, result.RetryAfter));
    }

    private PolicyViolationException RefuseByLimit(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, RateLimitRefusal refusal)
    {
        string detail = PolicyViolationException.DescribeLimit(refusal.Rule, refusal.ScopeValue, refusal.RetryAfter);
        DecisionOutcome outcome = DecisionOutcome.Refused(AuditResult.RateLimited, PolicyRefusalCause.RateLimited, null, null, refusal.Rule.ToString(), detail);
        Record(operation, key, context, in outcome);
        return PolicyViolationException.RateLimited(operation, key, refusal.Rule, refusal.ScopeValue, refusal.RetryAfter, context.AgentId, KeyAsLogged(key));
    }

    /// <summary>
    /// The backend threw or timed out: apply the declared policy. Fail closed refuses (audited as failed, the reason names
    /// the backend's error); fail open lets the operation through with a note; local fallback checks this engine's own
    /// buckets. Every case is counted.
    /// </summary>
    private string? OnBackendFailure(in LimitDemand demand, ReadOnlySpan<byte> key, PolicyContext context, Exception exception)
    {
        _metrics.RecordLimitBackendFailure(_limitBackendFailure);
        // The backend's exception type, not its message (which can quote keys or connection strings); the exception
        // itself is the refusal's inner exception.
        string unavailable = $"rate-limit backend unavailable ({exception.GetType().Name})";
        PolicyOperation operation = demand.Operation;
        switch (_limitBackendFailure)
        {
            case FailureMode.FailOpen:
                return unavailable + "; limits not checked (FailOpen)";
            case FailureMode.LocalFallback:
                return TryAcquireLocally(demand, context, out RateLimitRefusal refusal)
                    ? unavailable + "; checked against this process's buckets (LocalFallback)"
                    : throw RefuseByLimit(operation, key, context, refusal);
            default:
                throw Refuse(operation, key, context, DecisionOutcome.Refused(AuditResult.Failed, PolicyRefusalCause.LimitBackendUnavailable,
                    null, null, null, unavailable + "; refused (FailClosed)", exception));
        }
    }
}
