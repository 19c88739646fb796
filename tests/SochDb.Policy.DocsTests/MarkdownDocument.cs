using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SochDb.Policy.DocsTests;

/// <summary>A fenced code block: its language, its text, the 1-based line of its first code line, and its marker.</summary>
/// <param name="Marker">The text of a <c>&lt;!-- snippet: ... --&gt;</c> comment on the line just before the fence, or null.</param>
internal sealed record CodeBlock(string Language, string Code, int FirstLine, string? Marker);

/// <summary>A link in the prose (not in code): its target as written and the 1-based line it is on.</summary>
internal sealed record MarkdownLink(string Target, int Line);

/// <summary>
/// The little of Markdown the docs checks need: fenced code blocks, links outside code, and the anchors GitHub
/// gives the headings.
/// </summary>
internal sealed partial class MarkdownDocument
{
    private MarkdownDocument(string path, string[] lines)
    {
        Path = path;
        Lines = lines;
        Parse();
    }

    /// <summary>The path relative to the repository root, with '/' separators.</summary>
    public string Path { get; }

    public string[] Lines { get; }

    public List<CodeBlock> CodeBlocks { get; } = [];

    public List<MarkdownLink> Links { get; } = [];

    /// <summary>The anchors a link can point at: GitHub's heading slugs and explicit <c>id</c>/<c>name</c> attributes.</summary>
    public HashSet<string> Anchors { get; } = new(StringComparer.Ordinal);

    public static MarkdownDocument Load(string root, string relativePath) =>
        new(relativePath.Replace('\\', '/'), File.ReadAllLines(System.IO.Path.Combine(root, relativePath)));

    /// <summary>A document from text (the checks' own tests).</summary>
    public static MarkdownDocument Parse(string relativePath, string text) =>
        new(relativePath, text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'));

    private void Parse()
    {
        var slugCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        int i = 0;
        while (i < Lines.Length)
        {
            Match fence = FenceOpen().Match(Lines[i]);
            if (fence.Success)
            {
                string indent = fence.Groups["indent"].Value;
                string ticks = fence.Groups["ticks"].Value;
                string language = fence.Groups["lang"].Value.Trim().ToLowerInvariant();
                string? marker = i > 0 ? MarkerOn(Lines[i - 1]) : null;
                int start = i + 1;
                int end = start;
                while (end < Lines.Length && !IsFenceClose(Lines[end], ticks))
                {
                    end++;
                }

                var code = new StringBuilder();
                for (int k = start; k < end; k++)
                {
                    string line = Lines[k];
                    code.Append(line.StartsWith(indent, StringComparison.Ordinal) ? line[indent.Length..] : line.TrimStart()).Append('\n');
                }

                CodeBlocks.Add(new CodeBlock(language, code.ToString(), start + 1, marker));
                i = end + 1;
                continue;
            }

            string text = Lines[i];
            Match heading = Heading().Match(text);
            if (heading.Success)
            {
                string slug = Slug(heading.Groups["text"].Value);
                string unique = slug;
                if (slugCounts.TryGetValue(slug, out int seen))
                {
                    unique = slug + "-" + seen.ToString(CultureInfo.InvariantCulture);
                }

                slugCounts[slug] = seen + 1;
                Anchors.Add(unique);
            }

            foreach (Match id in HtmlAnchor().Matches(text))
            {
                Anchors.Add(id.Groups["id"].Value);
            }

            string prose = InlineCode().Replace(text, match => new string(' ', match.Length));
            foreach (Match link in InlineLink().Matches(prose))
            {
                Links.Add(new MarkdownLink(link.Groups["target"].Value, i + 1));
            }

            Match definition = LinkDefinition().Match(prose);
            if (definition.Success)
            {
                Links.Add(new MarkdownLink(definition.Groups["target"].Value, i + 1));
            }

            foreach (Match href in HtmlHref().Matches(prose))
            {
                Links.Add(new MarkdownLink(href.Groups["target"].Value, i + 1));
            }

            i++;
        }
    }

    private static bool IsFenceClose(string line, string ticks)
    {
        string trimmed = line.Trim();
        return trimmed.Length >= ticks.Length && trimmed.All(c => c == ticks[0]);
    }

    private static string? MarkerOn(string line)
    {
        Match marker = SnippetMarker().Match(line);
        return marker.Success ? marker.Groups["marker"].Value.Trim() : null;
    }

    /// <summary>
    /// GitHub's heading anchor: the rendered text (code spans, links and emphasis reduced to their text), lower-cased,
    /// with every character that is not a letter, a digit, a space, '-' or '_' removed and each space turned into '-'.
    /// </summary>
    public static string Slug(string headingText)
    {
        string text = MarkdownLinkText().Replace(headingText.Trim(), "${text}");
        text = HtmlTag().Replace(text, string.Empty);
        var slug = new StringBuilder(text.Length);
        foreach (char c in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c == '-' || c == '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
            {
                slug.Append(c);
            }
        }

        return slug.ToString();
    }

    [GeneratedRegex(@"^(?<indent>\s*)(?<ticks>`{3,}|~{3,})(?<lang>[^`]*)$")]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"^\s{0,3}#{1,6}\s+(?<text>.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"<!--\s*snippet:(?<marker>.*?)-->")]
    private static partial Regex SnippetMarker();

    [GeneratedRegex(@"(`+)[^`].*?\1")]
    private static partial Regex InlineCode();

    // [text](target) and ![alt](target), with an optional "title"; the target may be wrapped in <...>.
    [GeneratedRegex(@"\]\(\s*(?:<(?<target>[^>]*)>|(?<target>[^)\s]+))(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^\s{0,3}\[[^\]]+\]:\s+(?<target>\S+)")]
    private static partial Regex LinkDefinition();

    [GeneratedRegex(@"<a\s[^>]*href=""(?<target>[^""]+)""")]
    private static partial Regex HtmlHref();

    [GeneratedRegex(@"<a\s[^>]*(?:id|name)=""(?<id>[^""]+)""")]
    private static partial Regex HtmlAnchor();

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\([^)]*\)")]
    private static partial Regex MarkdownLinkText();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex HtmlTag();
}
