using System.Text;
using Microsoft.Extensions.Time.Testing;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>An engine over an <see cref="InstrumentedStore"/> on a fake clock, with audit on.</summary>
internal sealed class GuardedKit : IDisposable
{
    public GuardedKit(PolicyEngineOptions? options = null, params CompiledPolicySet[] compiled)
    {
        Store = new InstrumentedStore();
        Time = new FakeTimeProvider();
        Engine = new PolicyEngine(Store, new PolicyEngineOptions
        {
            TimeProvider = Time,
            RateLimitBackend = options?.RateLimitBackend,
            RateLimitBackendFailure = options?.RateLimitBackendFailure ?? FailureMode.FailClosed,
            MaxNestingDepth = options?.MaxNestingDepth ?? PolicyEngine.DefaultMaxNestingDepth,
            Mode = options?.Mode ?? EnforcementMode.Enforce,
        }, compiled);
        Engine.Audit.Enable(100_000);
    }

    public InstrumentedStore Store { get; }

    public FakeTimeProvider Time { get; }

    public PolicyEngine Engine { get; }

    public static PolicyContext Agent(string id) => new() { AgentId = id };

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(byte[]? bytes) => bytes is null ? "<null>" : Encoding.UTF8.GetString(bytes);

    public string? Stored(string key) => Store.Inner.Get(key) is { } value ? Encoding.UTF8.GetString(value) : null;

    /// <summary>Every stored entry as "key=value", in key order.</summary>
    public string[] Snapshot() => Store.Inner.Scan("").Select(kv => $"{Text(kv.Key)}={Text(kv.Value)}").ToArray();

    public IReadOnlyList<AuditEntry> Audit() => Engine.Audit.Recent(int.MaxValue);

    public void Dispose() => Store.Dispose();
}
