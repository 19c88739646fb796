using System;
using System.Text;

namespace SochDb.Policy.PostgreSql;

/// <summary>Keys as they appear in error messages: quoted text when they are printable UTF-8, else hexadecimal; shortened.</summary>
internal static class KeyText
{
    private const int MaxShown = 64;

    public static string Describe(ReadOnlySpan<byte> key)
    {
        ReadOnlySpan<byte> shown = key.Length > MaxShown ? key[..MaxShown] : key;
        string more = key.Length > MaxShown ? $"… ({key.Length} bytes)" : "";
        try
        {
            string text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(shown);
            foreach (char c in text)
            {
                if (char.IsControl(c))
                {
                    return "0x" + Convert.ToHexString(shown) + more;
                }
            }

            return "'" + text + "'" + more;
        }
        catch (DecoderFallbackException)
        {
            return "0x" + Convert.ToHexString(shown) + more;
        }
    }
}
