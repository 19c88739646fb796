using System.Diagnostics.Metrics;
using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>A store failure is an outcome like any other: counted, audited as failed with its type, and rethrown.</summary>
public sealed class StoreFailureTests
{
    public static TheoryData<string> Operations => new() { "put", "get", "delete", "write", "scan", "putAsync", "getAsync", "deleteAsync", "writeAsync", "scanAsync" };

    private static async Task RunAsync(PolicyEngine engine, string operation, PolicyContext context)
    {
        switch (operation)
        {
            case "put": engine.Put("docs/a", "1", context); break;
            case "get": engine.Get("docs/a", context); break;
            case "delete": engine.Delete("docs/a", context); break;
            case "write": engine.Write(new WriteBatch().Put("docs/a", "1"), context); break;
            case "scan": _ = engine.Scan("docs/", context).ToList(); break;
            case "putAsync": await engine.PutAsync("docs/a", "1", context); break;
            case "getAsync": await engine.GetAsync("docs/a", context); break;
            case "deleteAsync": await engine.DeleteAsync("docs/a", context); break;
            case "writeAsync": await engine.WriteAsync(new WriteBatch().Put("docs/a", "1"), context); break;
            default:
                await foreach (var _ in engine.ScanAsync("docs/", context))
                {
                }

                break;
        }
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task StoreFailure_IsCountedAndAuditedAsFailed_AndTheStoresExceptionReachesTheCaller(string operation)
    {
        foreach (bool asynchronous in new[] { false, true })
        {
            using var kit = new GuardedKit();
            kit.Store.CompleteAsynchronously = asynchronous;
            kit.Store.Failure = () => new IOException("disk unplugged");
            long failed = 0;
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "SochDb.Policy" && instrument.Name == "sochdb.policy.decisions")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "result" && (string?)tag.Value == "failed")
                    {
                        Interlocked.Add(ref failed, value);
                    }
                }
            });
            listener.Start();

            var thrown = await Assert.ThrowsAsync<IOException>(() => RunAsync(kit.Engine, operation, Agent("agent_7")));

            Assert.Equal("disk unplugged", thrown.Message);
            AuditEntry entry = Assert.Single(kit.Audit());
            Assert.Equal(AuditResult.Failed, entry.Result);
            Assert.Contains("IOException", entry.Reason);
            Assert.Equal("agent_7", entry.AgentId);
            Assert.True(Interlocked.Read(ref failed) >= 1);
        }
    }

    [Fact]
    public void StoreFailure_HandlersThatDeniedStillWin_TheStoreIsNotCalled()
    {
        using var kit = new GuardedKit();
        kit.Store.Failure = () => new IOException("never reached");
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll);

        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("system/x", "1"));

        Assert.Equal(0, kit.Store.Calls);
        Assert.Equal(AuditResult.Denied, Assert.Single(kit.Audit()).Result);
    }

    [Fact]
    public void NoUnguardedPath_TheEngineExposesNoMemberThatReturnsTheStore()
    {
        var leaks = typeof(PolicyEngine).GetMembers(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static)
            .Where(m => m switch
            {
                System.Reflection.PropertyInfo p => typeof(IKeyValueStore).IsAssignableFrom(p.PropertyType),
                System.Reflection.MethodInfo mi => typeof(IKeyValueStore).IsAssignableFrom(mi.ReturnType),
                System.Reflection.FieldInfo f => typeof(IKeyValueStore).IsAssignableFrom(f.FieldType),
                _ => false,
            })
            .Select(m => m.Name)
            .ToList();

        Assert.Empty(leaks);
    }
}
