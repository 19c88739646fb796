using System;
using System.Text;

namespace SochDb.Policy;

/// <summary>What a handler sees: the trigger, the operation, the key, the current value and the caller's context.</summary>
public readonly ref struct PolicyRequest
{
    /// <summary>Creates a request (the engine and generated code do this; tests may too).</summary>
    public PolicyRequest(PolicyTrigger trigger, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context)
    {
        Trigger = trigger;
        Key = key;
        Value = value;
        Context = context ?? PolicyContext.Empty;
    }

    /// <summary>When the handler runs.</summary>
    public PolicyTrigger Trigger { get; }

    /// <summary>The operation being judged.</summary>
    public PolicyOperation Operation => Trigger.Operation();

    /// <summary>The key's raw bytes: always the operation's own key.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The key decoded as UTF-8 (bytes that are not valid UTF-8 become U+FFFD). Allocates; prefer <see cref="Key"/>.</summary>
    public string KeyText => Encoding.UTF8.GetString(Key);

    /// <summary>The value: for writes, what will be written (including earlier modifications); for AfterRead, what was read (including earlier modifications); empty otherwise.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The caller's context (never null).</summary>
    public PolicyContext Context { get; }
}
