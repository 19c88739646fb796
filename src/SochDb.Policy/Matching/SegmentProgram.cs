using System;
using System.Collections.Generic;
using System.Text;
using SochDb.Policy.Glob;

namespace SochDb.Policy.Matching;

/// <summary>
/// A wildcard segment compiled to a tiny Thompson automaton over characters (UTF-8 scalars, or single bytes
/// where the key is not valid UTF-8). Simulating every state at once keeps matching linear in the segment's
/// length times the program's size: no backtracking, so no pattern can make a key take exponential time.
/// </summary>
internal sealed class SegmentProgram
{
    private enum Op : byte
    {
        Char,
        Any,
        Class,
        Split,
        Jump,
        Match,
    }

    private readonly Op[] _ops;
    private readonly int[] _arg1;
    private readonly int[] _arg2;
    private readonly GlobToken[] _classes;

    private SegmentProgram(Op[] ops, int[] arg1, int[] arg2, GlobToken[] classes)
    {
        _ops = ops;
        _arg1 = arg1;
        _arg2 = arg2;
        _classes = classes;
    }

    public static SegmentProgram Compile(GlobToken[] tokens)
    {
        var builder = new Builder();
        builder.Emit(tokens);
        builder.Add(Op.Match, 0, 0);
        return new SegmentProgram(builder.Ops.ToArray(), builder.Arg1.ToArray(), builder.Arg2.ToArray(), builder.Classes.ToArray());
    }

    public bool IsMatch(ReadOnlySpan<byte> segment)
    {
        int length = _ops.Length;
        int words = (length + 63) >> 6;
        Span<ulong> current = stackalloc ulong[words];
        Span<ulong> next = stackalloc ulong[words];
        Span<int> stack = stackalloc int[(2 * length) + 1];
        Span<int> list = stackalloc int[length];
        Span<int> nextList = stackalloc int[length];

        int count = AddState(current, list, 0, 0, stack);
        int offset = 0;
        while (offset < segment.Length && count > 0)
        {
            int scalar = DecodeScalar(segment.Slice(offset), out int consumed);
            next.Clear();
            int nextCount = 0;
            for (int i = 0; i < count; i++)
            {
                int pc = list[i];
                bool advance = _ops[pc] switch
                {
                    Op.Char => _arg1[pc] == scalar,
                    Op.Any => true,
                    Op.Class => _classes[_arg1[pc]].ClassMatches(scalar),
                    _ => false,
                };
                if (advance)
                {
                    nextCount = AddState(next, nextList, nextCount, pc + 1, stack);
                }
            }

            Span<ulong> swapSet = current;
            current = next;
            next = swapSet;
            Span<int> swapList = list;
            list = nextList;
            nextList = swapList;
            count = nextCount;
            offset += consumed;
        }

        if (offset < segment.Length)
        {
            return false;
        }

        int match = length - 1;
        return (current[match >> 6] & (1UL << (match & 63))) != 0;
    }

    /// <summary>Decodes one character: a UTF-8 scalar value, or -1 for one byte that does not start a valid sequence.</summary>
    internal static int DecodeScalar(ReadOnlySpan<byte> bytes, out int consumed)
    {
        byte first = bytes[0];
        if (first < 0x80)
        {
            consumed = 1;
            return first;
        }

        if (Rune.DecodeFromUtf8(bytes, out Rune rune, out int length) == System.Buffers.OperationStatus.Done)
        {
            consumed = length;
            return rune.Value;
        }

        consumed = 1;
        return -1;
    }

    private int AddState(Span<ulong> set, Span<int> list, int count, int start, Span<int> stack)
    {
        int top = 0;
        stack[top++] = start;
        while (top > 0)
        {
            int pc = stack[--top];
            ulong bit = 1UL << (pc & 63);
            if ((set[pc >> 6] & bit) != 0)
            {
                continue;
            }

            set[pc >> 6] |= bit;
            switch (_ops[pc])
            {
                case Op.Split:
                    // Push the second branch first so the first is explored first (order does not change the result).
                    stack[top++] = _arg2[pc];
                    stack[top++] = _arg1[pc];
                    break;
                case Op.Jump:
                    stack[top++] = _arg1[pc];
                    break;
                default:
                    list[count++] = pc;
                    break;
            }
        }

        return count;
    }

    private sealed class Builder
    {
        public readonly List<Op> Ops = new();
        public readonly List<int> Arg1 = new();
        public readonly List<int> Arg2 = new();
        public readonly List<GlobToken> Classes = new();

        public int Add(Op op, int arg1, int arg2)
        {
            Ops.Add(op);
            Arg1.Add(arg1);
            Arg2.Add(arg2);
            return Ops.Count - 1;
        }

        public void Emit(GlobToken[] tokens)
        {
            foreach (GlobToken token in tokens)
            {
                switch (token.Kind)
                {
                    case GlobTokenKind.Literal:
                        for (int i = 0; i < token.Text.Length; i++)
                        {
                            int scalar = char.ConvertToUtf32(token.Text, i);
                            if (scalar > 0xFFFF)
                            {
                                i++;
                            }

                            Add(Op.Char, scalar, 0);
                        }

                        break;
                    case GlobTokenKind.AnyChar:
                        Add(Op.Any, 0, 0);
                        break;
                    case GlobTokenKind.CharClass:
                        Classes.Add(token);
                        Add(Op.Class, Classes.Count - 1, 0);
                        break;
                    case GlobTokenKind.Star:
                    {
                        // L: split L+1, L+3; L+1: any; L+2: jump L; L+3:
                        int split = Add(Op.Split, 0, 0);
                        Add(Op.Any, 0, 0);
                        Add(Op.Jump, split, 0);
                        Arg1[split] = split + 1;
                        Arg2[split] = Ops.Count;
                        break;
                    }

                    case GlobTokenKind.Alternation:
                    {
                        var jumps = new List<int>();
                        GlobToken[][] alternatives = token.Alternatives;
                        for (int a = 0; a < alternatives.Length; a++)
                        {
                            if (a < alternatives.Length - 1)
                            {
                                int split = Add(Op.Split, 0, 0);
                                Arg1[split] = split + 1;
                                Emit(alternatives[a]);
                                jumps.Add(Add(Op.Jump, 0, 0));
                                Arg2[split] = Ops.Count;
                            }
                            else
                            {
                                Emit(alternatives[a]);
                            }
                        }

                        foreach (int jump in jumps)
                        {
                            Arg1[jump] = Ops.Count;
                        }

                        break;
                    }
                }
            }
        }
    }
}
