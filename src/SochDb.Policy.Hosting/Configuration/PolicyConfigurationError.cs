namespace SochDb.Policy.Hosting;

/// <summary>One mistake in a policy configuration: which entry, which field, what is wrong.</summary>
public sealed class PolicyConfigurationError
{
    /// <summary>Creates an error description.</summary>
    /// <param name="entry">The entry at fault, as shown (with a rule's name when it has one).</param>
    /// <param name="field">The field of the entry at fault, if one is.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="patternPosition">For an invalid glob: the offset of the first offending character.</param>
    /// <param name="path">The configuration path of the key at fault; default: <paramref name="entry"/> and <paramref name="field"/> joined by a colon.</param>
    public PolicyConfigurationError(string entry, string? field, string message, int? patternPosition = null, string? path = null)
    {
        Entry = entry;
        Field = field;
        Message = message;
        PatternPosition = patternPosition;
        Path = path ?? (field is null ? entry : entry + ":" + field);
    }

    /// <summary>The entry: <c>SochDbPolicy:Rules:2 ("no-secrets")</c>, <c>SochDbPolicy:RateLimits:0</c> or the section itself.</summary>
    public string Entry { get; }

    /// <summary>The field of the entry at fault (<c>Pattern</c>, <c>Action</c>, …), when one is.</summary>
    public string? Field { get; }

    /// <summary>
    /// The configuration path of the key at fault, as <c>IConfiguration</c> spells it: <c>SochDbPolicy:Rules:0:Reasn</c>,
    /// <c>SochDbPolicy:Rules:2:Pattern</c>, <c>SochDbPolicy:Rules</c>; a tool maps it to a line in the file.
    /// </summary>
    public string Path { get; }

    /// <summary>What is wrong.</summary>
    public string Message { get; }

    /// <summary>For an invalid glob: the offset (UTF-16 code units) of the first offending character.</summary>
    public int? PatternPosition { get; }

    /// <summary>The same error, its path taken from <paramref name="entryPath"/> (an entry shown with its rule's name).</summary>
    internal PolicyConfigurationError AtEntryPath(string entryPath) =>
        new(Entry, Field, Message, PatternPosition, Field is null ? entryPath : entryPath + ":" + Field);

    /// <inheritdoc />
    public override string ToString() => Field is null ? $"{Entry}: {Message}" : $"{Entry}.{Field}: {Message}";
}
