using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>
/// Reads a tool's arguments as the model sent them. Frameworks hand them over as <see cref="JsonElement"/>s (parsed
/// from the model's JSON) or as CLR strings; anything that is not a JSON string where a string is expected is refused,
/// and so is text that is not valid Unicode (a lone surrogate, which JSON can spell as <c>"\ud800"</c>).
/// </summary>
internal static class ToolArguments
{
    /// <summary>Refuses any argument whose name is not in <paramref name="known"/> (a misspelt name must not be ignored).</summary>
    public static void RejectUnknown(AIFunctionArguments arguments, params string[] known)
    {
        foreach (KeyValuePair<string, object?> argument in arguments)
        {
            if (System.Array.IndexOf(known, argument.Key) < 0)
            {
                throw new ToolArgumentException(argument.Key,
                    $"unknown argument; this tool takes {Describe(known)}");
            }
        }
    }

    /// <summary>The string argument <paramref name="name"/>; refused when missing, null or not a string.</summary>
    public static string GetRequiredString(AIFunctionArguments arguments, string name) =>
        GetOptionalString(arguments, name) ?? throw new ToolArgumentException(name, "missing; it is required and must be a JSON string");

    /// <summary>The string argument <paramref name="name"/>, or null when absent or JSON null; refused when not a string.</summary>
    public static string? GetOptionalString(AIFunctionArguments arguments, string name)
    {
        if (!arguments.TryGetValue(name, out object? raw) || raw is null)
        {
            return null;
        }

        string? text = raw switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.Null } => null,
            JsonElement { ValueKind: JsonValueKind.String } element => ReadString(element, name),
            JsonElement element => throw new ToolArgumentException(name, $"must be a JSON string, not {Describe(element.ValueKind)}"),
            _ => throw new ToolArgumentException(name, "must be a JSON string"),
        };

        if (text is not null && !IsValidUnicode(text))
        {
            throw new ToolArgumentException(name, "is not valid Unicode (it contains a lone surrogate, such as \\ud800)");
        }

        return text;
    }

    private static string ReadString(JsonElement element, string name)
    {
        try
        {
            return element.GetString()!;
        }
        catch (System.InvalidOperationException)
        {
            // System.Text.Json refuses to decode escapes that do not form valid UTF-16.
            throw new ToolArgumentException(name, "is not valid Unicode (it contains a lone surrogate, such as \\ud800)");
        }
    }

    private static bool IsValidUnicode(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => kind.ToString(),
    };

    private static string Describe(string[] known)
    {
        var text = new StringBuilder();
        for (int i = 0; i < known.Length; i++)
        {
            text.Append(i == 0 ? "" : i == known.Length - 1 ? " and " : ", ").Append('\'').Append(known[i]).Append('\'');
        }

        return text.Append(known.Length == 1 ? " only" : "").ToString();
    }
}
