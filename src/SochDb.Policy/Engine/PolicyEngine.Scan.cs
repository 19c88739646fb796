using System;
using System.Collections.Generic;
using System.Threading;
using SochDb.Policy.Engine;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Every entry whose key starts with <paramref name="prefix"/> (empty: all) that the policies let the caller see,
    /// in key order, enumerated lazily. Each examined key goes through the steps of a Get: it takes a read token
    /// (when none is left, enumeration stops with <see cref="RateLimitExceededException"/>), BeforeRead handlers (a denied
    /// key is skipped and audited), then AfterRead handlers (denied: skipped and audited; modified: the modified value
    /// is yielded). A failing handler stops enumeration with <see cref="PolicyViolationException"/>, as in Get.
    /// </summary>
    /// <exception cref="RateLimitExceededException">During enumeration: a read limit has no token.</exception>
    /// <exception cref="PolicyViolationException">During enumeration: a handler failed.</exception>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix, PolicyContext? context = null) =>
        ScanCore(prefix.ToArray(), context ?? PolicyContext.Empty);

    /// <summary>Every entry whose key starts with the UTF-8 <paramref name="prefix"/> that the policies let the caller see.</summary>
    /// <inheritdoc cref="Scan(ReadOnlySpan{byte}, PolicyContext?)"/>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> is null.</exception>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(string prefix, PolicyContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return ScanCore(System.Text.Encoding.UTF8.GetBytes(prefix), context ?? PolicyContext.Empty);
    }

    private IEnumerable<KeyValuePair<byte[], byte[]>> ScanCore(byte[] prefix, PolicyContext context)
    {
        foreach (KeyValuePair<byte[], byte[]> entry in _store.Scan(prefix))
        {
            if (TryAdmit(entry.Key, entry.Value, context, out byte[]? visible))
            {
                yield return new KeyValuePair<byte[], byte[]>(entry.Key, visible);
            }
        }
    }

    /// <summary>One scanned item through §5: read token, BeforeRead, AfterRead. False: denied (and audited).</summary>
    private bool TryAdmit(byte[] key, byte[] value, PolicyContext context, out byte[] visible)
    {
        visible = value;
        ThrowIfAuditRefuses(PolicyOperation.Read, PolicyTrigger.BeforeRead, key, context);
        if (_limiter.Applies(PolicyOperation.Read))
        {
            AcquireOrThrow(PolicyOperation.Read, key, context);
        }

        RuleTable rules = Volatile.Read(ref _rules);

        var before = new PolicyEvaluation(PolicyTrigger.BeforeRead, key, default, context);
        if (!Decide(ref before, rules, PolicyOperation.Read, throwOnDeny: false))
        {
            return false;
        }

        var after = new PolicyEvaluation(PolicyTrigger.AfterRead, key, value, context);
        if (!Decide(ref after, rules, PolicyOperation.Read, throwOnDeny: false))
        {
            return false;
        }

        if (after.IsModified)
        {
            visible = after.Value.ToArray();
            Record(PolicyOperation.Read, key, context, AuditResult.Modified, after.ModifyingRule, null);
        }
        else
        {
            Record(PolicyOperation.Read, key, context, AuditResult.Allowed, null, null);
        }

        return true;
    }
}
