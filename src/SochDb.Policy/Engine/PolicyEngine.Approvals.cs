using System;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    // The approval being run, if any: set only around the one operation PolicyApprovals.Approve runs, and matched
    // against that exact operation (engine, operation, key, value, context) before it satisfies a RequireApproval.
    private static readonly AsyncLocal<ApprovalGrant?> s_approvalGrant = new();

    private PolicyApprovals? _approvals;

    // PolicyEngineOptions.ApprovalStore, or null for the default, chosen when Approvals is first used.
    private IApprovalStore? _approvalStoreOption;

    /// <summary>
    /// Operations waiting for a person's approval (a rule returned <see cref="PolicyDecision.RequireApproval"/>):
    /// list them, approve one (it runs once) or reject it. See docs/agents.md.
    /// </summary>
    public PolicyApprovals Approvals =>
        Volatile.Read(ref _approvals) ?? Interlocked.CompareExchange(ref _approvals, new PolicyApprovals(this, ApprovalStore()), null) ?? _approvals!;

    /// <summary>The configured approval store; by default the store's own SQLite file when it has one, else memory.</summary>
    private IApprovalStore ApprovalStore() => _approvalStoreOption
        ?? (_store is SqliteDatabase file ? new SqliteApprovalStore(file.Path) : new InMemoryApprovalStore());

    /// <summary>
    /// A before-trigger's handlers allowed the operation but one required approval. Returns when this is the approved
    /// run of exactly this operation; otherwise registers a request (audited) and throws
    /// <see cref="PolicyViolationException"/> with <see cref="PolicyRefusalCause.ApprovalRequired"/>, or refuses
    /// (<see cref="PolicyRefusalCause.Denied"/>) when too many requests are pending.
    /// </summary>
    private void RequireApprovalOrThrow(ref PolicyEvaluation evaluation, PolicyOperation operation, ReadOnlySpan<byte> originalValue)
    {
        ApprovalGrant? grant = s_approvalGrant.Value;
        if (grant is not null && grant.TryUse(this, operation, evaluation.Key, originalValue, evaluation.Context))
        {
            return;
        }

        byte[]? value = operation == PolicyOperation.Write ? originalValue.ToArray() : null;
        ApprovalRequest? request;
        try
        {
            request = Approvals.Register(operation, evaluation.Key, value, evaluation.Context, evaluation.ApprovalRule, evaluation.ApprovalReason);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing ran and no request exists: say so in the log; the store's own error (naming it) reaches the caller.
            Record(operation, evaluation.Key, evaluation.Context, AuditResult.Failed, evaluation.ApprovalRule,
                $"approval required ({evaluation.ApprovalReason}), but the approval store could not record the request ({e.GetType().Name}); nothing was executed");
            throw;
        }

        if (request is null)
        {
            string reason = $"approval required ({evaluation.ApprovalReason}), but {Approvals.MaxPending} approvals are already pending";
            Record(operation, evaluation.Key, evaluation.Context, AuditResult.Denied, evaluation.ApprovalRule, reason);
            throw new PolicyViolationException(operation, evaluation.Key, evaluation.Trigger, evaluation.ApprovalRule, reason,
                evaluation.Context.AgentId);
        }

        Record(operation, evaluation.Key, evaluation.Context, AuditResult.ApprovalRequired, evaluation.ApprovalRule,
            $"approval {request.Id} requested{(string.IsNullOrEmpty(request.Reason) ? "" : ": " + request.Reason)}");
        throw PolicyViolationException.ApprovalRequired(request, evaluation.Trigger, KeyAsLogged(evaluation.Key));
    }

    /// <summary>
    /// A scan cannot stop for a person: a scanned key that needs approval is skipped like a denied one (audited);
    /// reading the key on its own raises the request. Returns null (the key is not yielded).
    /// </summary>
    private byte[]? SkipScannedForApproval(ref PolicyEvaluation evaluation)
    {
        Record(PolicyOperation.Read, evaluation.Key, evaluation.Context, AuditResult.ApprovalRequired, evaluation.ApprovalRule,
            $"approval required ({evaluation.ApprovalReason}); skipped by the scan: read the key on its own to request approval");
        return null;
    }

    /// <summary>The key as the decision log shows it: its mask when it matches <see cref="AuditOptions.MaskedKeys"/>, else its text.</summary>
    internal string KeyAsLogged(ReadOnlySpan<byte> key)
    {
        if (Volatile.Read(ref _recorder)?.Mask is { } mask && mask.Matches(key))
        {
            Span<byte> masked = stackalloc byte[SochDb.Policy.Audit.AuditKeyMask.Length];
            mask.Write(key, masked);
            return System.Text.Encoding.ASCII.GetString(masked);
        }

        return System.Text.Encoding.UTF8.GetString(key);
    }

    internal DateTimeOffset ApprovalNow() => new(_clock.GetUtcTicks(), TimeSpan.Zero);

    internal void RecordApprovalStep(ApprovalRequest request, AuditResult result, string reason) =>
        Record(request.Operation, request.KeySpan, request.Context, result, request.Rule, reason);

    /// <summary>The approval store failed while deciding: audited (operation All, empty key); nothing ran.</summary>
    internal void RecordApprovalStoreFailure(string approvalId, Exception error) =>
        Record(PolicyOperation.All, ReadOnlySpan<byte>.Empty, PolicyContext.Empty, AuditResult.Failed, null,
            $"approval {approvalId} could not be decided: the approval store failed ({error.GetType().Name}); nothing was executed",
            countDecision: false);

    /// <summary>An unknown approval id names no operation: audited (operation All, empty key), not counted as a decision.</summary>
    internal void RecordUnknownApproval(string approvalId) =>
        Record(PolicyOperation.All, ReadOnlySpan<byte>.Empty, PolicyContext.Empty, AuditResult.Denied, null,
            $"approval {approvalId} is unknown; nothing was executed", countDecision: false);

    internal ApprovalResult ExecuteApproved(ApprovalRequest request)
    {
        ApprovalGrant? outer = s_approvalGrant.Value;
        s_approvalGrant.Value = new ApprovalGrant(this, request);
        try
        {
            switch (request.Operation)
            {
                case PolicyOperation.Write:
                    Put(request.KeySpan, request.Value, request.Context);
                    return new ApprovalResult(request, null, false);
                case PolicyOperation.Read:
                    return new ApprovalResult(request, Get(request.KeySpan, request.Context), false);
                default:
                    return new ApprovalResult(request, null, Delete(request.KeySpan, request.Context));
            }
        }
        finally
        {
            s_approvalGrant.Value = outer;
        }
    }

    internal async ValueTask<ApprovalResult> ExecuteApprovedAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        // Set inside this async method: the grant flows into the awaited operation and is gone when it returns.
        s_approvalGrant.Value = new ApprovalGrant(this, request);
        ReadOnlyMemory<byte> key = request.KeyBytes;
        switch (request.Operation)
        {
            case PolicyOperation.Write:
                await PutAsync(key, request.Value, request.Context, cancellationToken).ConfigureAwait(false);
                return new ApprovalResult(request, null, false);
            case PolicyOperation.Read:
                return new ApprovalResult(request, await GetAsync(key, request.Context, cancellationToken).ConfigureAwait(false), false);
            default:
                return new ApprovalResult(request, null, await DeleteAsync(key, request.Context, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>Permission for one run of one approved operation.</summary>
    private sealed class ApprovalGrant
    {
        private readonly PolicyEngine _engine;
        private readonly ApprovalRequest _request;
        private int _used;

        public ApprovalGrant(PolicyEngine engine, ApprovalRequest request)
        {
            _engine = engine;
            _request = request;
        }

        public bool TryUse(PolicyEngine engine, PolicyOperation operation, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context) =>
            ReferenceEquals(engine, _engine)
            && operation == _request.Operation
            && ReferenceEquals(context, _request.Context)
            && key.SequenceEqual(_request.KeySpan)
            && (operation != PolicyOperation.Write || value.SequenceEqual(_request.Value))
            && Interlocked.Exchange(ref _used, 1) == 0;
    }
}
