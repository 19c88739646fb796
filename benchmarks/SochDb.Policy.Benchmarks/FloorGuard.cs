using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Benchmarks;

/// <summary>
/// The floor of the guarded layer (T1): the least a guard around an <see cref="IKeyValueStore"/> must do per Put to keep
/// the engine's guarantees for one compiled policy set, each part done the cheapest way there is. What it keeps: disposal
/// waits for the call (an in-flight count and a closing flag), a handler calling back cannot recurse without end (a
/// nesting counter per thread), the key is checked, the bytes judged are the bytes written (one copy of key and value
/// into a buffer of the thread, cleared after: they may be a secret), spans, metrics and the decision log are checked for
/// listeners, every matching handler runs and a denial, a modification, an approval or a shadow note is seen, a handler
/// that throws refuses the call. What it leaves out: the outcome value, refusal messages, audit entries, rate limits,
/// run-time rules, approvals, asynchronous calls, a copy too long for the buffer. A benchmark tool, not a product.
/// </summary>
internal sealed class FloorGuard
{
    private const int MaxNesting = 8;
    private const int BufferLength = 512;

    [ThreadStatic]
    private static ThreadState? t_state;

    private static readonly Meter Meter = new("SochDb.Policy.Benchmarks.FloorGuard");
    private static readonly Counter<long> Decisions = Meter.CreateCounter<long>("decisions");

    private readonly IKeyValueStore _store;
    private readonly CompiledPolicySet _rules;
    private int _inFlight;
    private int _closing;
    private object? _recorder;

    public FloorGuard(IKeyValueStore store, CompiledPolicySet rules)
    {
        _store = store;
        _rules = rules;
    }

    /// <summary>What a decision log would be (the guard only checks whether there is one).</summary>
    public object? Recorder
    {
        set => Volatile.Write(ref _recorder, value);
    }

    /// <summary>Stops admission and waits for the calls in flight, as disposal does.</summary>
    public void Close()
    {
        Volatile.Write(ref _closing, 1);
        SpinWait.SpinUntil(() => Volatile.Read(ref _inFlight) == 0, TimeSpan.FromSeconds(5));
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, PolicyContext context)
    {
        if ((uint)(key.Length - 1) >= IKeyValueStore.MaxKeyLength || key.Length + value.Length > BufferLength)
        {
            Unsupported();
        }

        ThreadState state = t_state ??= new ThreadState();
        Interlocked.Increment(ref _inFlight);
        try
        {
            if (Volatile.Read(ref _closing) != 0 || state.Nesting >= MaxNesting)
            {
                Unsupported();
            }

            byte[] buffer = state.Buffer;
            key.CopyTo(buffer);
            value.CopyTo(buffer.AsSpan(key.Length));
            var ownKey = new ReadOnlySpan<byte>(buffer, 0, key.Length);
            var ownValue = new ReadOnlySpan<byte>(buffer, key.Length, value.Length);
            try
            {
                bool listened = Diagnostics.PolicyTracing.Source.HasListeners() || Decisions.Enabled || Volatile.Read(ref _recorder) is not null;
                var evaluation = new PolicyEvaluation(PolicyTrigger.BeforeWrite, ownKey, ownValue, context);
                state.Nesting++;
                try
                {
                    _rules.Evaluate(ref evaluation);
                }
                catch (Exception)
                {
                    Unsupported(); // a throwing handler refuses the call
                }
                finally
                {
                    state.Nesting--;
                }

                if (evaluation.IsDenied || evaluation.RequiresApproval || evaluation.IsModified || evaluation.WouldDenyRule is not null
                    || evaluation.WouldModifyRule is not null || listened)
                {
                    Unsupported();
                }

                _store.Put(ownKey, ownValue);
            }
            finally
            {
                buffer.AsSpan(0, key.Length + value.Length).Clear();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    // Everything off the allowed path: the product refuses, records, or takes a slower path here.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Unsupported() => throw new NotSupportedException("the floor guard only measures the allowed path");

    private sealed class ThreadState
    {
        public readonly byte[] Buffer = new byte[BufferLength];
        public int Nesting;
    }
}
