using System.Text;
using Microsoft.Extensions.Time.Testing;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Tests.Engine;

/// <summary>An engine over an in-memory store on a fake clock, with audit on.</summary>
internal sealed class EngineTestKit : IDisposable
{
    public EngineTestKit(params CompiledPolicySet[] compiled)
    {
        Store = Database.OpenInMemory();
        Time = new FakeTimeProvider();
        Engine = new PolicyEngine(Store, new PolicyEngineOptions { TimeProvider = Time }, compiled);
        Engine.Audit.Enable(100_000);
    }

    public Database Store { get; }

    public FakeTimeProvider Time { get; }

    public PolicyEngine Engine { get; }

    public static PolicyContext Agent(string id) => new() { AgentId = id };

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(byte[]? bytes) => bytes is null ? "<null>" : Encoding.UTF8.GetString(bytes);

    public string? Stored(string key) => Store.Get(key) is { } value ? Encoding.UTF8.GetString(value) : null;

    public IReadOnlyList<AuditEntry> Audit() => Engine.Audit.Recent(int.MaxValue);

    public void Dispose() => Store.Dispose();
}
