using System;
using System.Buffers;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Diagnostics;
using SochDb.Policy.Engine;

namespace SochDb.Policy;

/// <summary>
/// The asynchronous twins of Put, Get and Delete. Handlers stay synchronous (they decide; they do no I/O). Over a store
/// that completes synchronously (in-memory, SQLite) and without a shared rate-limit backend, a call completes
/// synchronously and allocates nothing beyond the synchronous call; a networked store or backend is awaited end to end.
/// Cancellation before the store is called changes nothing: when it comes before any decision nothing is recorded;
/// when it comes after the decision, the outcome is recorded as failed ("cancelled before the store was called").
/// </summary>
public sealed partial class PolicyEngine
{
    /// <summary>The asynchronous twin of <see cref="Put(ReadOnlySpan{byte}, ReadOnlySpan{byte}, PolicyContext?)"/>.</summary>
    /// <inheritdoc cref="Put(ReadOnlySpan{byte}, ReadOnlySpan{byte}, PolicyContext?)"/>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the store was called; nothing was written.</exception>
    public ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, PolicyContext? context = null,
        CancellationToken cancellationToken = default)
    {
        KeyRules.Validate(key.Span);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        byte[] ownKey = Own(key);
        if (_limitBackend is not null)
        {
            return PutAwaitedAsync(ownKey, key.Length, value, ctx, cancellationToken);
        }

        byte[]? ownValue = null;
        bool handedOff = false;
        Activity? activity = PolicyTracing.Start(PolicyOperation.Write);
        try
        {
            ReadOnlyMemory<byte> k = ownKey.AsMemory(0, key.Length);
            CheckAdmission(PolicyOperation.Write, k.Span, ctx);
            string? note = AcquireOrThrow(LimitDemand.Single(PolicyOperation.Write), k.Span, ctx);
            RuleTable rules = Volatile.Read(ref _rules);
            int triggers = _compiledTriggers | rules.TriggerMask;
            WriteAdmission admission = default;
            if (Runs(triggers, PolicyTrigger.BeforeWrite))
            {
                ownValue = Own(value);
                value = ownValue.AsMemory(0, value.Length);
                admission = DecideWrite(k.Span, value.Span, ctx, rules);
            }

            ReadOnlyMemory<byte> written = admission.ModifiedValue ?? value;
            ThrowIfCancelledBeforeStore(PolicyOperation.Write, k.Span, ctx, cancellationToken);
            ValueTask pending;
            try
            {
                pending = _store.PutAsync(k, written, cancellationToken);
                if (pending.IsCompleted)
                {
                    pending.GetAwaiter().GetResult();
                }
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Write, k.Span, ctx, exception);
                throw;
            }

            if (!pending.IsCompleted)
            {
                handedOff = true;
                return CompletePutAsync(pending, ownKey, ownValue, key.Length, written, ctx, rules, triggers, admission, note, activity);
            }

            CompleteWrite(k.Span, written.Span, ctx, rules, triggers, admission, note);
            return default;
        }
        catch (Exception exception)
        {
            return ValueTask.FromException(exception);
        }
        finally
        {
            if (!handedOff)
            {
                activity?.Dispose();
                ReturnBuffer(ownKey);
                ReturnBuffer(ownValue);
            }
            else
            {
                PolicyTracing.LeaveRunning(activity);
            }
        }
    }

    /// <summary>The asynchronous twin of <see cref="Get(ReadOnlySpan{byte}, PolicyContext?)"/>.</summary>
    /// <inheritdoc cref="Get(ReadOnlySpan{byte}, PolicyContext?)"/>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the store was called.</exception>
    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, PolicyContext? context = null, CancellationToken cancellationToken = default)
    {
        KeyRules.Validate(key.Span);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<byte[]?>(cancellationToken);
        }

        byte[] ownKey = Own(key);
        if (_limitBackend is not null)
        {
            return GetAwaitedAsync(ownKey, key.Length, ctx, cancellationToken);
        }

        bool handedOff = false;
        Activity? activity = PolicyTracing.Start(PolicyOperation.Read);
        try
        {
            ReadOnlyMemory<byte> k = ownKey.AsMemory(0, key.Length);
            CheckAdmission(PolicyOperation.Read, k.Span, ctx);
            string? note = AcquireOrThrow(LimitDemand.Single(PolicyOperation.Read), k.Span, ctx);
            Admission admission = Admit(PolicyTrigger.BeforeRead, k.Span, ctx, note);

            ThrowIfCancelledBeforeStore(PolicyOperation.Read, k.Span, ctx, cancellationToken);
            ValueTask<byte[]?> pending;
            byte[]? value = null;
            try
            {
                pending = _store.GetAsync(k, cancellationToken);
                if (pending.IsCompleted)
                {
                    value = pending.GetAwaiter().GetResult();
                }
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Read, k.Span, ctx, exception);
                throw;
            }

            if (!pending.IsCompleted)
            {
                handedOff = true;
                return CompleteGetAsync(pending, ownKey, key.Length, ctx, admission, activity);
            }

            return new ValueTask<byte[]?>(CompleteRead(k.Span, value, ctx, admission));
        }
        catch (Exception exception)
        {
            return ValueTask.FromException<byte[]?>(exception);
        }
        finally
        {
            if (!handedOff)
            {
                activity?.Dispose();
                ReturnBuffer(ownKey);
            }
            else
            {
                PolicyTracing.LeaveRunning(activity);
            }
        }
    }

    /// <summary>The asynchronous twin of <see cref="Delete(ReadOnlySpan{byte}, PolicyContext?)"/>.</summary>
    /// <inheritdoc cref="Delete(ReadOnlySpan{byte}, PolicyContext?)"/>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the store was called; nothing was deleted.</exception>
    public ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, PolicyContext? context = null, CancellationToken cancellationToken = default)
    {
        KeyRules.Validate(key.Span);
        PolicyContext ctx = context ?? PolicyContext.Empty;
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        byte[] ownKey = Own(key);
        if (_limitBackend is not null)
        {
            return DeleteAwaitedAsync(ownKey, key.Length, ctx, cancellationToken);
        }

        bool handedOff = false;
        Activity? activity = PolicyTracing.Start(PolicyOperation.Delete);
        try
        {
            ReadOnlyMemory<byte> k = ownKey.AsMemory(0, key.Length);
            CheckAdmission(PolicyOperation.Delete, k.Span, ctx);
            string? note = AcquireOrThrow(LimitDemand.Single(PolicyOperation.Delete), k.Span, ctx);
            Admission admission = Admit(PolicyTrigger.BeforeDelete, k.Span, ctx, note);

            ThrowIfCancelledBeforeStore(PolicyOperation.Delete, k.Span, ctx, cancellationToken);
            ValueTask<bool> pending;
            bool removed = false;
            try
            {
                pending = _store.DeleteAsync(k, cancellationToken);
                if (pending.IsCompleted)
                {
                    removed = pending.GetAwaiter().GetResult();
                }
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Delete, k.Span, ctx, exception);
                throw;
            }

            if (!pending.IsCompleted)
            {
                handedOff = true;
                return CompleteDeleteAsync(pending, ownKey, key.Length, ctx, admission, activity);
            }

            CompleteDelete(k.Span, removed, ctx, admission);
            return new ValueTask<bool>(removed);
        }
        catch (Exception exception)
        {
            return ValueTask.FromException<bool>(exception);
        }
        finally
        {
            if (!handedOff)
            {
                activity?.Dispose();
                ReturnBuffer(ownKey);
            }
            else
            {
                PolicyTracing.LeaveRunning(activity);
            }
        }
    }

    /// <summary>Writes the UTF-8 <paramref name="value"/> under the UTF-8 <paramref name="key"/>.</summary>
    /// <inheritdoc cref="PutAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, PolicyContext?, CancellationToken)"/>
    public ValueTask PutAsync(string key, string value, PolicyContext? context = null, CancellationToken cancellationToken = default) =>
        PutAsync(KeyRules.Encode(key), KeyRules.EncodeValue(value), context, cancellationToken);

    /// <summary>Reads the UTF-8 <paramref name="key"/>.</summary>
    /// <inheritdoc cref="GetAsync(ReadOnlyMemory{byte}, PolicyContext?, CancellationToken)"/>
    public ValueTask<byte[]?> GetAsync(string key, PolicyContext? context = null, CancellationToken cancellationToken = default) =>
        GetAsync(KeyRules.Encode(key), context, cancellationToken);

    /// <summary>Deletes the UTF-8 <paramref name="key"/>.</summary>
    /// <inheritdoc cref="DeleteAsync(ReadOnlyMemory{byte}, PolicyContext?, CancellationToken)"/>
    public ValueTask<bool> DeleteAsync(string key, PolicyContext? context = null, CancellationToken cancellationToken = default) =>
        DeleteAsync(KeyRules.Encode(key), context, cancellationToken);

    /// <summary>A private, pooled copy of a caller's buffer (returned, cleared, when the operation ends).</summary>
    private static byte[] Own(ReadOnlyMemory<byte> buffer)
    {
        byte[] own = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length, 1));
        buffer.Span.CopyTo(own);
        return own;
    }

    private async ValueTask CompletePutAsync(ValueTask pending, byte[] ownKey, byte[]? ownValue, int keyLength, ReadOnlyMemory<byte> written,
        PolicyContext context, RuleTable rules, int triggers, WriteAdmission admission, string? note, Activity? activity)
    {
        try
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Write, ownKey.AsSpan(0, keyLength), context, exception);
                throw;
            }

            CompleteWrite(ownKey.AsSpan(0, keyLength), written.Span, context, rules, triggers, admission, note);
        }
        finally
        {
            activity?.Dispose();
            ReturnBuffer(ownKey);
            ReturnBuffer(ownValue);
        }
    }

    private async ValueTask<byte[]?> CompleteGetAsync(ValueTask<byte[]?> pending, byte[] ownKey, int keyLength, PolicyContext context,
        Admission admission, Activity? activity)
    {
        try
        {
            byte[]? value;
            try
            {
                value = await pending.ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Read, ownKey.AsSpan(0, keyLength), context, exception);
                throw;
            }

            return CompleteRead(ownKey.AsSpan(0, keyLength), value, context, admission);
        }
        finally
        {
            activity?.Dispose();
            ReturnBuffer(ownKey);
        }
    }

    private async ValueTask<bool> CompleteDeleteAsync(ValueTask<bool> pending, byte[] ownKey, int keyLength, PolicyContext context,
        Admission admission, Activity? activity)
    {
        try
        {
            bool removed;
            try
            {
                removed = await pending.ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Delete, ownKey.AsSpan(0, keyLength), context, exception);
                throw;
            }

            CompleteDelete(ownKey.AsSpan(0, keyLength), removed, context, admission);
            return removed;
        }
        finally
        {
            activity?.Dispose();
            ReturnBuffer(ownKey);
        }
    }

    /// <summary>Put with a shared rate-limit backend: every step that may wait is awaited.</summary>
    private async ValueTask PutAwaitedAsync(byte[] ownKey, int keyLength, ReadOnlyMemory<byte> value, PolicyContext context,
        CancellationToken cancellationToken)
    {
        using Activity? activity = PolicyTracing.Start(PolicyOperation.Write);
        byte[]? ownValue = null;
        try
        {
            ReadOnlyMemory<byte> k = ownKey.AsMemory(0, keyLength);
            CheckAdmission(PolicyOperation.Write, k.Span, context);
            string? note = await AcquireOrThrowAsync(LimitDemand.Single(PolicyOperation.Write), k, context, cancellationToken).ConfigureAwait(false);
            RuleTable rules = Volatile.Read(ref _rules);
            int triggers = _compiledTriggers | rules.TriggerMask;
            WriteAdmission admission = default;
            if (Runs(triggers, PolicyTrigger.BeforeWrite))
            {
                ownValue = Own(value);
                value = ownValue.AsMemory(0, value.Length);
                admission = DecideWrite(k.Span, value.Span, context, rules);
            }

            ReadOnlyMemory<byte> written = admission.ModifiedValue ?? value;
            ThrowIfCancelledBeforeStore(PolicyOperation.Write, k.Span, context, cancellationToken);
            try
            {
                await _store.PutAsync(k, written, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Write, k.Span, context, exception);
                throw;
            }

            CompleteWrite(k.Span, written.Span, context, rules, triggers, admission, note);
        }
        finally
        {
            ReturnBuffer(ownKey);
            ReturnBuffer(ownValue);
        }
    }

    /// <summary>Get with a shared rate-limit backend.</summary>
    private async ValueTask<byte[]?> GetAwaitedAsync(byte[] ownKey, int keyLength, PolicyContext context, CancellationToken cancellationToken)
    {
        using Activity? activity = PolicyTracing.Start(PolicyOperation.Read);
        try
        {
            ReadOnlyMemory<byte> k = ownKey.AsMemory(0, keyLength);
            CheckAdmission(PolicyOperation.Read, k.Span, context);
            string? note = await AcquireOrThrowAsync(LimitDemand.Single(PolicyOperation.Read), k, context, cancellationToken).ConfigureAwait(false);
            Admission admission = Admit(PolicyTrigger.BeforeRead, k.Span, context, note);

            ThrowIfCancelledBeforeStore(PolicyOperation.Read, k.Span, context, cancellationToken);
            byte[]? value;
            try
            {
                value = await _store.GetAsync(k, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Read, k.Span, context, exception);
                throw;
            }

            return CompleteRead(k.Span, value, context, admission);
        }
        finally
        {
            ReturnBuffer(ownKey);
        }
    }

    /// <summary>Delete with a shared rate-limit backend.</summary>
    private async ValueTask<bool> DeleteAwaitedAsync(byte[] ownKey, int keyLength, PolicyContext context, CancellationToken cancellationToken)
    {
        using Activity? activity = PolicyTracing.Start(PolicyOperation.Delete);
        try
        {
            ReadOnlyMemory<byte> k = ownKey.AsMemory(0, keyLength);
            CheckAdmission(PolicyOperation.Delete, k.Span, context);
            string? note = await AcquireOrThrowAsync(LimitDemand.Single(PolicyOperation.Delete), k, context, cancellationToken).ConfigureAwait(false);
            Admission admission = Admit(PolicyTrigger.BeforeDelete, k.Span, context, note);

            ThrowIfCancelledBeforeStore(PolicyOperation.Delete, k.Span, context, cancellationToken);
            bool removed;
            try
            {
                removed = await _store.DeleteAsync(k, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                RecordStoreFailure(PolicyOperation.Delete, k.Span, context, exception);
                throw;
            }

            CompleteDelete(k.Span, removed, context, admission);
            return removed;
        }
        finally
        {
            ReturnBuffer(ownKey);
        }
    }
}
