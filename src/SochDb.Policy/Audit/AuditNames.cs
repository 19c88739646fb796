using System;

namespace SochDb.Policy;

/// <summary>
/// The stable lower-case names of operations and results, as durable logs store them and metrics tag them
/// (<c>write</c>, <c>rate_limited</c>, ...), and back.
/// </summary>
internal static class AuditNames
{
    private static readonly string[] Operations = { "read", "write", "delete", "all" };

    private static readonly string[] Results =
    {
        "allowed", "denied", "modified", "rate_limited", "failed", "would_deny", "approval_required", "entries_dropped", "entries_removed",
    };

    /// <summary>The name of <paramref name="operation"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined operation.</exception>
    public static string Of(PolicyOperation operation) =>
        (uint)operation < (uint)Operations.Length ? Operations[(int)operation]
        : throw new ArgumentOutOfRangeException(nameof(operation), operation, "Not a defined PolicyOperation.");

    /// <summary>The name of <paramref name="result"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined result.</exception>
    public static string Of(AuditResult result) =>
        (uint)result < (uint)Results.Length ? Results[(int)result]
        : throw new ArgumentOutOfRangeException(nameof(result), result, "Not a defined AuditResult.");

    /// <summary>The operation called <paramref name="name"/>.</summary>
    /// <exception cref="FormatException">No operation has that name.</exception>
    public static PolicyOperation ParseOperation(string name)
    {
        int index = Array.IndexOf(Operations, name);
        return index >= 0 ? (PolicyOperation)index : throw new FormatException($"'{name}' is not an audit operation name ({string.Join(", ", Operations)}).");
    }

    /// <summary>
    /// The operation called <paramref name="name"/> in any letter case (<c>read</c>, <c>Write</c>, <c>ALL</c>): how
    /// configuration and the seed SDKs' string API name operations.
    /// </summary>
    /// <returns>False when <paramref name="name"/> is null or names no operation.</returns>
    public static bool TryParseOperation(string? name, out PolicyOperation operation)
    {
        for (int i = 0; name is not null && i < Operations.Length; i++)
        {
            if (string.Equals(Operations[i], name, StringComparison.OrdinalIgnoreCase))
            {
                operation = (PolicyOperation)i;
                return true;
            }
        }

        operation = default;
        return false;
    }

    /// <summary>The result called <paramref name="name"/>.</summary>
    /// <exception cref="FormatException">No result has that name.</exception>
    public static AuditResult ParseResult(string name)
    {
        int index = Array.IndexOf(Results, name);
        return index >= 0 ? (AuditResult)index : throw new FormatException($"'{name}' is not an audit result name ({string.Join(", ", Results)}).");
    }
}
