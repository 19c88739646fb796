namespace SochDb.Policy.Hosting;

/// <summary>One mistake in a policy configuration: which entry, which field, what is wrong.</summary>
public sealed class PolicyConfigurationError
{
    /// <summary>Creates an error description.</summary>
    public PolicyConfigurationError(string entry, string? field, string message, int? patternPosition = null)
    {
        Entry = entry;
        Field = field;
        Message = message;
        PatternPosition = patternPosition;
    }

    /// <summary>The entry: <c>SochDbPolicy:Rules:2 ("no-secrets")</c>, <c>SochDbPolicy:RateLimits:0</c> or the section itself.</summary>
    public string Entry { get; }

    /// <summary>The field of the entry at fault (<c>Pattern</c>, <c>Action</c>, …), when one is.</summary>
    public string? Field { get; }

    /// <summary>What is wrong.</summary>
    public string Message { get; }

    /// <summary>For an invalid glob: the offset (UTF-16 code units) of the first offending character.</summary>
    public int? PatternPosition { get; }

    /// <inheritdoc />
    public override string ToString() => Field is null ? $"{Entry}: {Message}" : $"{Entry}.{Field}: {Message}";
}
