using System;
using System.Collections;
using System.Collections.Generic;

namespace SochDb.Policy;

/// <summary>
/// A read-only copy of a list that compares by its elements, so an options record holding lists is equal to another
/// with the same elements (the compiler-written record equality compares fields with their own <c>Equals</c>).
/// </summary>
internal sealed class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly T[] _items;

    private ValueList(T[] items) => _items = items;

    public static ValueList<T> Empty { get; } = new([]);

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    /// <summary>A copy of <paramref name="items"/>; null stays null (the options' validation reports it).</summary>
    public static ValueList<T>? CopyOf(IEnumerable<T>? items) => items switch
    {
        null => null,
        ValueList<T> list => list,
        _ => new ValueList<T>([.. items]),
    };

    public T[] ToArray() => (T[])_items.Clone();

    public bool Equals(ValueList<T>? other) =>
        other is not null && (ReferenceEquals(this, other) || _items.AsSpan().SequenceEqual(other._items, EqualityComparer<T>.Default));

    public override bool Equals(object? obj) => Equals(obj as ValueList<T>);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (T item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public override string ToString() => $"[{Count} items]";
}
