using System;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Audit;
using SochDb.Policy.RateLimiting;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Takes <paramref name="tokens"/> from every limit of <paramref name="operation"/>, or none; throws (audited) when a
    /// limit refuses or the backend is unavailable and fails closed. Returns a note for the outcome's audit entry when
    /// the limits were not checked as configured (backend unavailable, fail open or local fallback), else null.
    /// </summary>
    private string? AcquireOrThrow(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, int tokens)
    {
        if (!_limiter.Applies(operation))
        {
            return null;
        }

        if (_limitBackend is null)
        {
            if (_limiter.TryAcquire(operation, context, out RateLimitRefusal refusal))
            {
                return null;
            }

            throw RefuseByLimit(operation, key, context, refusal);
        }

        RateLimitAcquisition[] acquisitions = DescribeAcquisitions(operation, context, tokens);
        RateLimitBackendResult result;
        try
        {
            result = _limitBackend.TryAcquire(acquisitions);
        }
        catch (Exception exception)
        {
            return OnBackendFailure(operation, key, context, exception);
        }

        if (!result.IsAcquired)
        {
            throw RefuseByLimit(operation, key, context, ToRefusal(acquisitions, result));
        }

        return null;
    }

    /// <summary>The asynchronous twin of <see cref="AcquireOrThrow"/>, for a backend that talks to a server.</summary>
    private async ValueTask<string?> AcquireOrThrowAsync(PolicyOperation operation, ReadOnlyMemory<byte> key, PolicyContext context,
        int tokens, CancellationToken cancellationToken)
    {
        if (!_limiter.Applies(operation))
        {
            return null;
        }

        if (_limitBackend is null)
        {
            return AcquireOrThrow(operation, key.Span, context, tokens);
        }

        RateLimitAcquisition[] acquisitions = DescribeAcquisitions(operation, context, tokens);
        RateLimitBackendResult result;
        try
        {
            result = await _limitBackend.TryAcquireAsync(acquisitions, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            return OnBackendFailure(operation, key.Span, context, exception);
        }

        if (!result.IsAcquired)
        {
            throw RefuseByLimit(operation, key.Span, context, ToRefusal(acquisitions, result));
        }

        return null;
    }

    /// <summary>Takes a batch's tokens: one per put from Write limits, one per delete from Delete limits, all from All limits.</summary>
    private string? AcquireBatchOrThrow(int puts, int deletes, ReadOnlySpan<byte> firstKey, PolicyContext context)
    {
        if ((puts == 0 || !_limiter.Applies(PolicyOperation.Write)) && (deletes == 0 || !_limiter.Applies(PolicyOperation.Delete)))
        {
            return null;
        }

        if (_limitBackend is null)
        {
            if (_limiter.TryAcquireBatch(puts, deletes, context, out RateLimitRefusal refusal))
            {
                return null;
            }

            throw RefuseByLimit(PolicyOperation.Write, firstKey, context, refusal);
        }

        RateLimitAcquisition[] acquisitions = DescribeBatchAcquisitions(puts, deletes, context);
        RateLimitBackendResult result;
        try
        {
            result = _limitBackend.TryAcquire(acquisitions);
        }
        catch (Exception exception)
        {
            return OnBackendFailure(PolicyOperation.Write, firstKey, context, exception, puts, deletes);
        }

        if (!result.IsAcquired)
        {
            throw RefuseByLimit(PolicyOperation.Write, firstKey, context, ToRefusal(acquisitions, result));
        }

        return null;
    }

    /// <summary>The asynchronous twin of <see cref="AcquireBatchOrThrow"/>.</summary>
    private async ValueTask<string?> AcquireBatchOrThrowAsync(int puts, int deletes, byte[] firstKey, PolicyContext context,
        CancellationToken cancellationToken)
    {
        if (_limitBackend is null)
        {
            return AcquireBatchOrThrow(puts, deletes, firstKey, context);
        }

        if ((puts == 0 || !_limiter.Applies(PolicyOperation.Write)) && (deletes == 0 || !_limiter.Applies(PolicyOperation.Delete)))
        {
            return null;
        }

        RateLimitAcquisition[] acquisitions = DescribeBatchAcquisitions(puts, deletes, context);
        RateLimitBackendResult result;
        try
        {
            result = await _limitBackend.TryAcquireAsync(acquisitions, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            return OnBackendFailure(PolicyOperation.Write, firstKey, context, exception, puts, deletes);
        }

        if (!result.IsAcquired)
        {
            throw RefuseByLimit(PolicyOperation.Write, firstKey, context, ToRefusal(acquisitions, result));
        }

        return null;
    }

    private RateLimitAcquisition[] DescribeAcquisitions(PolicyOperation operation, PolicyContext context, int tokens)
    {
        RateLimitState[] limits = _limiter.LimitsFor(operation);
        var acquisitions = new RateLimitAcquisition[limits.Length];
        for (int i = 0; i < limits.Length; i++)
        {
            acquisitions[i] = new RateLimitAcquisition(limits[i].Rule, limits[i].ScopeValue(context), tokens);
        }

        return acquisitions;
    }

    private RateLimitAcquisition[] DescribeBatchAcquisitions(int puts, int deletes, PolicyContext context)
    {
        var acquisitions = new System.Collections.Generic.List<RateLimitAcquisition>();
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

    private static RateLimitRefusal ToRefusal(RateLimitAcquisition[] acquisitions, RateLimitBackendResult result)
    {
        if ((uint)result.RefusedIndex >= (uint)acquisitions.Length)
        {
            throw new InvalidOperationException(
                $"The rate-limit backend refused acquisition {result.RefusedIndex} of {acquisitions.Length}, which does not exist.");
        }

        RateLimitAcquisition refused = acquisitions[result.RefusedIndex];
        return new RateLimitRefusal(refused.Limit, refused.ScopeValue, result.RetryAfter);
    }

    private RateLimitExceededException RefuseByLimit(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, RateLimitRefusal refusal)
    {
        string detail = RateLimitExceededException.DescribeLimit(refusal.Rule, refusal.ScopeValue, refusal.RetryAfter);
        Record(operation, key, context, AuditResult.RateLimited, null, detail, refusal.Rule.ToString());
        return new RateLimitExceededException(operation, key, refusal.Rule, refusal.ScopeValue, refusal.RetryAfter, context.AgentId);
    }

    /// <summary>
    /// The backend threw or timed out: apply the declared policy. Fail closed refuses (audited as failed, the reason names
    /// the backend's error); fail open lets the operation through with a note; local fallback checks this engine's own
    /// buckets. Every case is counted.
    /// </summary>
    private string? OnBackendFailure(PolicyOperation operation, ReadOnlySpan<byte> key, PolicyContext context, Exception exception,
        int batchPuts = -1, int batchDeletes = 0)
    {
        _metrics.RecordLimitBackendFailure(_limitBackendFailure);
        string unavailable = $"rate-limit backend unavailable ({exception.GetType().Name}: {exception.Message})";
        switch (_limitBackendFailure)
        {
            case RateLimitBackendFailure.FailOpen:
                return unavailable + "; limits not checked (FailOpen)";
            case RateLimitBackendFailure.LocalFallback:
                bool acquired;
                RateLimitRefusal refusal;
                if (batchPuts >= 0)
                {
                    acquired = _limiter.TryAcquireBatch(batchPuts, batchDeletes, context, out refusal);
                }
                else
                {
                    acquired = _limiter.TryAcquire(operation, context, out refusal);
                }

                if (!acquired)
                {
                    throw RefuseByLimit(operation, key, context, refusal);
                }

                return unavailable + "; checked against this process's buckets (LocalFallback)";
            default:
                string reason = unavailable + "; refused (FailClosed)";
                Record(operation, key, context, AuditResult.Failed, null, reason);
                throw PolicyViolationException.Create(operation, key.ToArray(), null, null, reason, context.AgentId, exception,
                    $"{PolicyViolationException.Verb(operation)} of \"{System.Text.Encoding.UTF8.GetString(key)}\" refused: {reason}.");
        }
    }
}
