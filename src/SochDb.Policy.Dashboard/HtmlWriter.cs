using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;

namespace SochDb.Policy.Dashboard;

/// <summary>
/// Builds a page: <see cref="Markup"/> writes the dashboard's own fixed tags, and every value — keys, reasons, agent
/// ids, rule text, previews — goes through <see cref="Text"/> or <see cref="Attribute"/>, which HTML-encode it. There is
/// no other way to write a value, so nothing a caller stored can become markup or script.
/// </summary>
internal sealed class HtmlWriter
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;
    private readonly StringBuilder _html = new(4096);

    /// <summary>Writes markup written in this assembly (a literal, never a value).</summary>
    public HtmlWriter Markup(string markup)
    {
        _html.Append(markup);
        return this;
    }

    /// <summary>Writes <paramref name="value"/> as text, encoded.</summary>
    public HtmlWriter Text(string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Encoder.Encode(new StringWriter(_html, CultureInfo.InvariantCulture), value);
        }

        return this;
    }

    /// <summary>Writes a number as text.</summary>
    public HtmlWriter Number(long value)
    {
        _html.Append(value.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    /// <summary>Writes <c> name="value"</c> with the value encoded.</summary>
    public HtmlWriter Attribute(string name, string? value)
    {
        _html.Append(' ').Append(name).Append("=\"");
        Text(value);
        _html.Append('"');
        return this;
    }

    /// <summary>A table cell holding <paramref name="value"/> as text.</summary>
    public HtmlWriter Cell(string? value, string? cssClass = null)
    {
        _html.Append("<td");
        if (cssClass is not null)
        {
            Attribute("class", cssClass);
        }

        _html.Append('>');
        Text(value);
        _html.Append("</td>");
        return this;
    }

    public override string ToString() => _html.ToString();
}
