using System;
using System.Globalization;
using System.IO;

namespace SochDb.Policy;

/// <summary>
/// The newest entry of a durable log as the log's writer saw it: its id and its chain hash. Kept outside the log
/// (see <see cref="IAuditAnchor"/>), it lets <see cref="AuditLedger.Verify(AuditHead)"/> show that the log was not cut
/// short, emptied or re-chained up to it.
/// </summary>
public sealed class AuditHead : IEquatable<AuditHead>
{
    /// <summary>Creates a head.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="hash"/> is not 32 bytes.</exception>
    public AuditHead(long id, byte[] hash)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentNullException.ThrowIfNull(hash);
        if (hash.Length != 32)
        {
            throw new ArgumentException($"An audit head's hash has 32 bytes, not {hash.Length}.", nameof(hash));
        }

        Id = id;
        Hash = (byte[])hash.Clone();
    }

    /// <summary>The id of the newest entry (0 for a log that holds none and was never pruned).</summary>
    public long Id { get; }

    /// <summary>The chain hash of that entry (32 bytes).</summary>
    public byte[] Hash { get; }

    /// <summary>Reads the text form of <see cref="ToString"/>: <c>#id</c>, a space, 64 hex digits.</summary>
    /// <exception cref="FormatException">The text is not a head.</exception>
    public static AuditHead Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0].Length < 2 || parts[0][0] != '#'
            || !long.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out long id)
            || parts[1].Length != 64)
        {
            throw new FormatException($"'{text}' is not an audit head: expected '#<id> <64 hex digits>'.");
        }

        try
        {
            return new AuditHead(id, Convert.FromHexString(parts[1]));
        }
        catch (FormatException e)
        {
            throw new FormatException($"'{text}' is not an audit head: the hash is not hexadecimal.", e);
        }
    }

    /// <summary>
    /// The newest head in a head file written by <see cref="IAuditAnchor.File"/> (its last complete line), or null when
    /// it holds none.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">A complete line is not a head (the message names the file and the line).</exception>
    public static AuditHead? ReadLast(string path) => AuditHeadFile.ReadLast(path);

    /// <summary>Equal when the id and every byte of the hash are equal.</summary>
    public bool Equals(AuditHead? other) => other is not null && Id == other.Id && Hash.AsSpan().SequenceEqual(other.Hash);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as AuditHead);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Id, BitConverter.ToInt32(Hash, 0));

    /// <summary><c>#id</c>, a space, and the hash in lower-case hex: what <see cref="Parse"/> reads.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"#{Id} {Convert.ToHexStringLower(Hash)}");
}

/// <summary>
/// Somewhere outside the log that keeps its head: the engine publishes the durable log's <see cref="AuditHead"/> every
/// <see cref="AuditOptions.AnchorEvery"/> entries or <see cref="AuditOptions.AnchorInterval"/>, and when audit stops.
/// Whoever can rewrite the log's database cannot rewrite what was published here. Built in: <see cref="File"/>;
/// an <c>ILogger</c> anchor ships in the hosting package.
/// </summary>
public interface IAuditAnchor
{
    /// <summary>Keeps <paramref name="head"/>. Called on the engine's audit writer, never concurrently; a throw is reported and publishing is tried again later.</summary>
    void Publish(AuditHead head);

    /// <summary>
    /// An anchor that appends each head to the text file at <paramref name="path"/> (created on first publish; the
    /// directory must exist), one line each (<c>#id hash time</c>), and syncs it to disk. Keep the file elsewhere than
    /// the log (another disk, another machine's share, a write-once bucket): its point is that whoever can rewrite the
    /// log cannot rewrite it. <see cref="AuditHead.ReadLast"/> reads the newest head back.
    /// </summary>
    /// <param name="path">The head file.</param>
    /// <param name="timeProvider">The clock of each line's time; default the system's.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space.</exception>
    public static IAuditAnchor File(string path, TimeProvider? timeProvider = null) => new AuditHeadFile(path, timeProvider);
}
