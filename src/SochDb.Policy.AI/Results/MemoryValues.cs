using System;
using System.Text;

namespace SochDb.Policy.AI;

/// <summary>How a stored value is shown to the model.</summary>
internal static class MemoryValues
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The result of a read: text as text, other bytes as base64 (never as mangled text), absent as found:false.</summary>
    public static MemoryToolResult ReadResult(string key, byte[]? value)
    {
        if (value is null)
        {
            return new MemoryToolResult { Status = MemoryToolStatus.Ok, Key = key, Found = false };
        }

        try
        {
            return new MemoryToolResult { Status = MemoryToolStatus.Ok, Key = key, Found = true, Value = StrictUtf8.GetString(value) };
        }
        catch (DecoderFallbackException)
        {
            return new MemoryToolResult { Status = MemoryToolStatus.Ok, Key = key, Found = true, ValueBase64 = Convert.ToBase64String(value) };
        }
    }
}
