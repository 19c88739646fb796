using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace SochDb.Policy;

/// <summary>The anchor of <see cref="IAuditAnchor.File"/>: appends each head to a text file and syncs it.</summary>
internal sealed class AuditHeadFile : IAuditAnchor
{
    private readonly TimeProvider _time;

    /// <summary>Appends to the file at <paramref name="path"/> (created on first publish); the directory must exist.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space.</exception>
    public AuditHeadFile(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary>Appends <paramref name="head"/> as one line and syncs the file.</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void Publish(AuditHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        string line = string.Create(CultureInfo.InvariantCulture, $"{head} {_time.GetUtcNow():O}\n");
        using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(Encoding.UTF8.GetBytes(line));
        file.Flush(flushToDisk: true);
    }

    /// <summary>The newest head in the file at <paramref name="path"/> (its last complete line), or null when it holds none.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">A complete line is not a head (the message names the line).</exception>
    public static AuditHead? ReadLast(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text = File.ReadAllText(path, Encoding.UTF8);
        // A line cut short by a crash has no newline yet: only complete lines count.
        int end = text.LastIndexOf('\n');
        if (end < 0)
        {
            return null;
        }

        string complete = text[..end];
        int start = complete.LastIndexOf('\n') + 1;
        string line = complete[start..];
        int lineNumber = text.AsSpan(0, start).Count('\n') + 1;
        try
        {
            return AuditHead.Parse(line);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"Line {lineNumber} of the audit head file '{System.IO.Path.GetFullPath(path)}' is not a head: {e.Message}", e);
        }
    }
}
