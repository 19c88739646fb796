using System.Reflection;

namespace SochDb.Policy.Generators.Tests;

/// <summary>Benchmark target T4 (docs/benchmarks.md) with generated sets: a compiled Put/Get through the engine allocates exactly what the bare store call does.</summary>
public class EngineAllocationTests
{
    [Fact]
    public void CompiledPutAndGetThroughTheEngineAllocateWhatTheBareStoreAllocates()
    {
        GeneratorResult result = GeneratorHarness.Run(TestSources.DesignSample, TestSources.ManyTenants);
        Assembly assembly = GeneratorHarness.Load(result.Output);
        var engineStore = Database.OpenInMemory();
        var bareStore = Database.OpenInMemory();
        var engine = new PolicyEngine(engineStore,
            GeneratorHarness.CompiledSet(assembly, "AgentGuard.AgentPolicies"), GeneratorHarness.CompiledSet(assembly, "TenantPolicies"));
        var context = new PolicyContext { AgentId = "agent_001" };
        byte[][] keys = ["users/alice/email"u8.ToArray(), "tenant-a/data/x"u8.ToArray(), "alpha/1"u8.ToArray(), "notes/today"u8.ToArray()];
        byte[] value = "value"u8.ToArray();

        long Measure(Action<byte[]> operation)
        {
            foreach (byte[] key in keys)
            {
                operation(key); // warm up (first put creates the entry)
            }

            return Allocations.Minimum(() =>
            {
                for (int i = 0; i < 500; i++)
                {
                    foreach (byte[] key in keys)
                    {
                        operation(key);
                    }
                }
            });
        }

        long barePut = Measure(key => bareStore.Put(key, value));
        long enginePut = Measure(key => engine.Put(key, value, context));
        long bareGet = Measure(key => _ = bareStore.Get(key));
        long engineGet = Measure(key => _ = engine.Get(key, context));

        Assert.Equal(barePut, enginePut);
        Assert.Equal(bareGet, engineGet);
        Assert.Equal(value, engine.Get(keys[0], context)); // the allowed path really ran: no redaction without redact_pii
    }
}
