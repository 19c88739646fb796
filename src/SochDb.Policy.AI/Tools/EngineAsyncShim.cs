using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace SochDb.Policy.AI;

// Temporary: the engine's asynchronous API is landing; until then the tools call the synchronous one.
internal static class EngineAsyncShim
{
    public static ValueTask<byte[]?> GetAsync(this PolicyEngine engine, byte[] key, PolicyContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<byte[]?>(engine.Get(key, context));
    }

    public static ValueTask PutAsync(this PolicyEngine engine, byte[] key, byte[] value, PolicyContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        engine.Put(key, value, context);
        return default;
    }

    public static ValueTask<bool> DeleteAsync(this PolicyEngine engine, byte[] key, PolicyContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<bool>(engine.Delete(key, context));
    }

    public static async IAsyncEnumerable<KeyValuePair<byte[], byte[]>> ScanAsync(this PolicyEngine engine, byte[] prefix, PolicyContext context,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (KeyValuePair<byte[], byte[]> entry in engine.Scan(prefix, context))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
    }
}
