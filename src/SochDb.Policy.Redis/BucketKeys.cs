using System.Globalization;
using System.Runtime.CompilerServices;

namespace SochDb.Policy.Redis;

/// <summary>
/// Bucket key names: <c>{prefix}{operation}:{maxPerMinute}:{scope length}:{scope}:{value length}:{value}</c>, or
/// <c>...:-</c> for the shared bucket of callers without the scope's item (and for the global scope). The lengths keep
/// names unambiguous whatever characters scopes and values hold. Engines configured with the same limit therefore
/// name the same bucket.
/// </summary>
internal sealed class BucketKeys
{
    private readonly string _prefix;
    private readonly ConditionalWeakTable<RateLimitRule, string> _rulePart = new();

    private readonly ConditionalWeakTable<RateLimitRule, string>.CreateValueCallback _describe;

    public BucketKeys(string prefix)
    {
        _prefix = prefix;
        _describe = Describe;
    }

    public string For(RateLimitRule limit, string? scopeValue)
    {
        string rule = _rulePart.GetValue(limit, _describe);
        return scopeValue is null ? rule + "-" : rule + scopeValue.Length.ToString(CultureInfo.InvariantCulture) + ":" + scopeValue;
    }

    private string Describe(RateLimitRule limit) => string.Create(CultureInfo.InvariantCulture,
        $"{_prefix}{limit.Operation.ToString().ToLowerInvariant()}:{limit.MaxPerMinute}:{limit.Scope.Length}:{limit.Scope}:");
}
