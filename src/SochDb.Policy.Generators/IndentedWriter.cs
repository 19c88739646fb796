using System.Text;

namespace SochDb.Policy.Generators;

/// <summary>Writes C# text line by line with four-space indentation and <c>\n</c> line ends (deterministic on every OS).</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _text = new();
    private int _depth;
    private bool _gap;

    /// <summary>Writes one line at the current indentation (an empty line has no trailing spaces).</summary>
    public IndentedWriter Line(string line = "")
    {
        if (_gap && line.Length > 0 && line[0] != '}')
        {
            _text.Append('\n');
        }

        _gap = false;
        if (line.Length > 0)
        {
            _text.Append(' ', _depth * 4).Append(line);
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <c>{</c> and indents.</summary>
    public IndentedWriter Open()
    {
        Line("{");
        _depth++;
        return this;
    }

    /// <summary>Outdents and writes <c>}</c> (with an optional suffix such as <c>;</c>).</summary>
    public IndentedWriter Close(string suffix = "")
    {
        _depth--;
        return Line("}" + suffix);
    }

    /// <summary>Asks for an empty line before the next statement, unless a closing brace comes first (after a block).</summary>
    public IndentedWriter Gap()
    {
        _gap = true;
        return this;
    }

    /// <summary>Indents by one level (for a statement under a <c>case</c> label).</summary>
    public void Indent() => _depth++;

    /// <summary>Outdents by one level.</summary>
    public void Outdent() => _depth--;

    /// <inheritdoc />
    public override string ToString() => _text.ToString();
}
