namespace SochDb.Policy.Roslyn;

/// <summary>Shows a pattern in a message: whole when short, cut when it would swamp the message.</summary>
internal static class PatternDisplay
{
    private const int MaxShown = 80;

    public static string Shorten(string? pattern)
    {
        if (pattern is null)
        {
            return "null";
        }

        return pattern.Length <= MaxShown ? pattern : pattern.Substring(0, MaxShown) + "...";
    }
}
