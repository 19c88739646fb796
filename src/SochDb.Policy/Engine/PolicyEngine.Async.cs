using System;
using System.Threading;
using System.Threading.Tasks;
using SochDb.Policy.Engine;

namespace SochDb.Policy;

/// <summary>
/// The asynchronous twins of Put, Get and Delete: the same stages and driver as the synchronous calls
/// (<see cref="Proceed"/>), with the store and a rate-limit backend called asynchronously, so a networked store or
/// backend is awaited end to end. Handlers stay
/// synchronous (they decide; they do no I/O). Over a store that completes synchronously (in-memory, SQLite) and without
/// a shared rate-limit backend, a call completes synchronously and allocates nothing beyond the synchronous call.
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
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ValueTask<OperationResult> run = RunAsynchronously(PolicyOperation.Write, key, value, context, cancellationToken);
        return run.IsCompletedSuccessfully ? default : AwaitRun(run);

        static async ValueTask AwaitRun(ValueTask<OperationResult> run) => await run.ConfigureAwait(false);
    }

    /// <summary>The asynchronous twin of <see cref="Get(ReadOnlySpan{byte}, PolicyContext?)"/>.</summary>
    /// <inheritdoc cref="Get(ReadOnlySpan{byte}, PolicyContext?)"/>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the store was called.</exception>
    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, PolicyContext? context = null, CancellationToken cancellationToken = default)
    {
        KeyRules.Validate(key.Span);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<byte[]?>(cancellationToken);
        }

        ValueTask<OperationResult> run = RunAsynchronously(PolicyOperation.Read, key, default, context, cancellationToken);
        return run.IsCompletedSuccessfully ? new ValueTask<byte[]?>(run.Result.Value) : AwaitRun(run);

        static async ValueTask<byte[]?> AwaitRun(ValueTask<OperationResult> run) => (await run.ConfigureAwait(false)).Value;
    }

    /// <summary>The asynchronous twin of <see cref="Delete(ReadOnlySpan{byte}, PolicyContext?)"/>.</summary>
    /// <inheritdoc cref="Delete(ReadOnlySpan{byte}, PolicyContext?)"/>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the store was called; nothing was deleted.</exception>
    public ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, PolicyContext? context = null, CancellationToken cancellationToken = default)
    {
        KeyRules.Validate(key.Span);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        ValueTask<OperationResult> run = RunAsynchronously(PolicyOperation.Delete, key, default, context, cancellationToken);
        return run.IsCompletedSuccessfully ? new ValueTask<bool>(run.Result.Removed) : AwaitRun(run);

        static async ValueTask<bool> AwaitRun(ValueTask<OperationResult> run) => (await run.ConfigureAwait(false)).Removed;
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
}
