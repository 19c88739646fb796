using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SochDb.Policy.Tool;

/// <summary>A span of a text file: 1-based lines, 1-based columns in UTF-16 code units, end column exclusive (as SARIF counts).</summary>
internal readonly record struct SourceSpan(int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public override string ToString() => $"{StartLine}:{StartColumn}";
}

/// <summary>
/// Where each configuration path of a JSON file is written: the key (<c>"Reasn"</c>) and its value, for every object
/// member and array element, found with <see cref="Utf8JsonReader"/> (its byte offsets turned into lines and columns).
/// Paths are spelt as configuration spells them (<c>SochDbPolicy:Rules:0:Pattern</c>) and compared case-insensitively,
/// as configuration keys are. The file is read as the JSON configuration provider reads it: comments and trailing
/// commas allowed.
/// </summary>
internal sealed class JsonSourceMap
{
    private readonly byte[] _utf8;
    private readonly List<int> _lineStarts = new() { 0 };
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.OrdinalIgnoreCase);

    private JsonSourceMap(byte[] utf8)
    {
        _utf8 = utf8;
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    /// <summary>What is written at one path: its key (or, for an array element, its value) and its value.</summary>
    internal sealed record Node(int KeyStart, int KeyEnd, int ValueStart, int ValueEnd, JsonTokenType ValueKind, bool ValueIsEscaped);

    /// <summary>Reads the file's map; a syntax error is a <see cref="JsonException"/> with its line and byte position.</summary>
    public static JsonSourceMap Parse(byte[] utf8)
    {
        var map = new JsonSourceMap(utf8);
        int start = utf8.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        map._lineStarts[0] = start; // a byte-order mark is no column
        var reader = new Utf8JsonReader(utf8.AsSpan(start), new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        if (reader.Read())
        {
            map.ReadValue(ref reader, start, path: "", keyStart: -1, keyEnd: -1);
        }

        return map;
    }

    public bool Contains(string path) => _nodes.ContainsKey(path);

    /// <summary>The key of <paramref name="path"/> (an array element: its value), or of its nearest written ancestor; null when nothing of it is written.</summary>
    public SourceSpan? KeyOf(string path)
    {
        Node? node = Nearest(path);
        return node is null ? null : Span(node.KeyStart, node.KeyEnd);
    }

    /// <summary>The value written at <paramref name="path"/>, or the key of its nearest written ancestor.</summary>
    public SourceSpan? ValueOf(string path)
    {
        if (_nodes.TryGetValue(path, out Node? node))
        {
            return Span(node.ValueStart, node.ValueEnd);
        }

        return KeyOf(path);
    }

    /// <summary>
    /// One character of the string value at <paramref name="path"/>: <paramref name="position"/> counts UTF-16 code units
    /// of the decoded string. A string written with escapes is given whole (its raw columns differ from the decoded ones).
    /// </summary>
    public SourceSpan? CharacterOf(string path, int position)
    {
        if (!_nodes.TryGetValue(path, out Node? node) || node.ValueKind != JsonTokenType.String || node.ValueIsEscaped)
        {
            return ValueOf(path);
        }

        SourceSpan value = Span(node.ValueStart, node.ValueEnd);
        string text = Encoding.UTF8.GetString(_utf8, node.ValueStart + 1, node.ValueEnd - node.ValueStart - 2);
        if (value.StartLine != value.EndLine || position < 0 || position > text.Length)
        {
            return value;
        }

        int column = value.StartColumn + 1 + position;
        return new SourceSpan(value.StartLine, column, value.StartLine, column + 1);
    }

    private Node? Nearest(string path)
    {
        while (true)
        {
            if (_nodes.TryGetValue(path, out Node? node))
            {
                return node;
            }

            int colon = path.LastIndexOf(':');
            if (colon < 0)
            {
                return null;
            }

            path = path[..colon];
        }
    }

    private void ReadValue(ref Utf8JsonReader reader, int offset, string path, int keyStart, int keyEnd)
    {
        int valueStart = offset + (int)reader.TokenStartIndex;
        JsonTokenType kind = reader.TokenType;
        bool escaped = reader.ValueIsEscaped;
        switch (kind)
        {
            case JsonTokenType.StartObject:
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    int nameStart = offset + (int)reader.TokenStartIndex;
                    int nameEnd = nameStart + reader.ValueSpan.Length + 2;
                    string name = reader.GetString()!;
                    reader.Read();
                    ReadValue(ref reader, offset, path.Length == 0 ? name : path + ":" + name, nameStart, nameEnd);
                }

                break;
            case JsonTokenType.StartArray:
                int index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ReadValue(ref reader, offset, path + ":" + index.ToString(CultureInfo.InvariantCulture), -1, -1);
                    index++;
                }

                break;
        }

        int valueEnd = kind switch
        {
            JsonTokenType.StartObject or JsonTokenType.StartArray => offset + (int)reader.TokenStartIndex + 1,
            JsonTokenType.String => valueStart + reader.ValueSpan.Length + 2,
            _ => valueStart + reader.ValueSpan.Length,
        };
        if (path.Length > 0)
        {
            // The first spelling wins, as for a duplicate key the configuration provider refuses the file anyway.
            _nodes.TryAdd(path, keyStart < 0
                ? new Node(valueStart, valueEnd, valueStart, valueEnd, kind, escaped)
                : new Node(keyStart, keyEnd, valueStart, valueEnd, kind, escaped));
        }
    }

    private SourceSpan Span(int start, int end)
    {
        (int startLine, int startColumn) = Position(start);
        (int endLine, int endColumn) = Position(Math.Max(start, end));
        return new SourceSpan(startLine, startColumn, endLine, endColumn);
    }

    private (int Line, int Column) Position(int offset)
    {
        int line = _lineStarts.BinarySearch(offset);
        if (line < 0)
        {
            line = ~line - 1;
        }

        int lineStart = _lineStarts[line];
        int column = Encoding.UTF8.GetCharCount(_utf8, lineStart, offset - lineStart) + 1;
        return (line + 1, column);
    }
}
