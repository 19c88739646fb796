using System.Runtime.InteropServices;
using SochDb.Policy.Engine;

namespace SochDb.Policy.Tests.Engine;

/// <summary>
/// The engine's copies of a call's key and value: one buffer for both (the thread's scratch, or one pooled array when they
/// do not fit), exactly the caller's bytes, cleared when released.
/// </summary>
public sealed class OwnedBytesTests
{
    [Fact]
    public void KeyAndValueOfASynchronousCallShareOneScratchBufferThatIsClearedOnRelease()
    {
        byte[] key = "users/alice"u8.ToArray();
        byte[] value = "secret value"u8.ToArray();

        OwnedBytes ownKey = OwnedBytes.ForSyncCall(key, value, out OwnedBytes ownValue);
        Assert.Equal(key, ownKey.Span.ToArray());
        Assert.Equal(value, ownValue.Span.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(ownKey.Memory, out ArraySegment<byte> keySegment));
        Assert.True(MemoryMarshal.TryGetArray(ownValue.Memory, out ArraySegment<byte> valueSegment));
        Assert.Same(keySegment.Array, valueSegment.Array);
        Assert.Equal(key.Length, valueSegment.Offset);

        ownValue.Release(); // shares the key's buffer: releases nothing
        ownKey.Release();

        // The next copy on this thread takes the same slot: the secret is gone from it.
        OperationScratch scratch = OperationScratch.Current;
        byte[] slot = scratch.TryTake(1)!;
        Assert.Same(keySegment.Array, slot);
        Assert.All(slot.Take(key.Length + value.Length), b => Assert.Equal(0, b));
        scratch.Give(slot);
    }

    [Fact]
    public void CopiesTooLongForTheScratchArePooledAndStillExact()
    {
        byte[] key = "k"u8.ToArray();
        byte[] value = Enumerable.Range(0, OperationScratch.SlotLength + 100).Select(i => (byte)i).ToArray();

        OwnedBytes ownKey = OwnedBytes.ForSyncCall(key, value, out OwnedBytes ownValue);

        Assert.Equal(key, ownKey.Span.ToArray());
        Assert.Equal(value, ownValue.Span.ToArray());
        ownValue.Release();
        ownKey.Release();
    }

    [Fact]
    public void ACallWithoutAValueCopiesTheKeyAlone()
    {
        OwnedBytes ownKey = OwnedBytes.ForAsyncCall("a/b"u8, default, out OwnedBytes ownValue);

        Assert.Equal("a/b"u8.ToArray(), ownKey.Span.ToArray());
        Assert.True(ownValue.Span.IsEmpty);
        Assert.True(ownValue.Memory.IsEmpty);
        ownValue.Release();
        ownKey.Release();
    }

    [Fact]
    public void ALongValueIsJudgedAndWrittenFromTheEnginesCopy()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store);
        byte[] value = Enumerable.Repeat((byte)'c', OperationScratch.SlotLength * 2).ToArray();
        engine.BeforeWrite("docs/*", (in PolicyRequest r) =>
        {
            bool clean = r.Value.IndexOfAnyExcept((byte)'c') < 0;
            value[0] = (byte)'X'; // the caller's buffer changes after the check
            return clean ? PolicyAction.Allow : PolicyAction.Deny;
        });

        engine.Put("docs/a"u8, value);

        Assert.True(store.TryGet("docs/a"u8, out byte[]? stored));
        Assert.All(stored!, b => Assert.Equal((byte)'c', b));
    }
}
