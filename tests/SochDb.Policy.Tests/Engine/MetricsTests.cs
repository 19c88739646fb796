using System.Diagnostics.Metrics;
using SochDb.Policy.Diagnostics;
using static SochDb.Policy.Tests.Engine.EngineTestKit;

namespace SochDb.Policy.Tests.Engine;

/// <summary>The decisions counter, observed with a <see cref="MeterListener"/>.</summary>
public sealed class MetricsTests
{
    [Fact]
    public void EveryOutcomeIsCountedByOperationAndResult()
    {
        using var factory = new TestMeterFactory();
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store, new PolicyEngineOptions { MeterFactory = factory });
        engine.BeforeWrite("system/*", Policies.DenyAll);
        engine.AfterRead("pii/*", Policies.RedactValue());
        engine.BeforeDelete("broken/*", (in PolicyRequest _) => throw new InvalidOperationException());
        engine.AddRateLimit(PolicyOperation.Write, 3);
        store.Put("pii/a", "x");
        store.Put("broken/a", "x");

        var counts = new Dictionary<(string, string), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (factory.Meters.Contains(instrument.Meter) && instrument.Name == PolicyMetrics.DecisionsCounterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string operation = "", result = "";
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "operation") operation = (string)tag.Value!;
                if (tag.Key == "result") result = (string)tag.Value!;
            }

            lock (counts)
            {
                counts[(operation, result)] = counts.GetValueOrDefault((operation, result)) + value;
            }
        });
        listener.Start();

        engine.Put("a", "v");
        engine.Put("b", "v");
        Assert.Throws<PolicyViolationException>(() => engine.Put("system/x", "v"));
        Refusals.RateLimited(() => engine.Put("c", "v"));
        engine.Get("a");
        engine.Get("pii/a");
        Assert.Throws<PolicyViolationException>(() => engine.Delete("broken/a"));

        Assert.Equal(PolicyMetrics.MeterName, Assert.Single(factory.Meters).Name);
        Assert.Equal(
            new Dictionary<(string, string), long>
            {
                [("write", "allowed")] = 2,
                [("write", "denied")] = 1,
                [("write", "rate_limited")] = 1,
                [("read", "allowed")] = 1,
                [("read", "modified")] = 1,
                [("delete", "failed")] = 1,
            },
            counts);
    }

    [Fact]
    public void WithoutAMeterFactory_DecisionsGoToTheProcessWideMeterSochDbPolicy()
    {
        using var store = Database.OpenInMemory();
        var engine = new PolicyEngine(store);
        int thread = Environment.CurrentManagedThreadId;
        var results = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // The names the documentation gives, spelled out: a rename must fail here.
            if (instrument.Meter.Name == "SochDb.Policy" && instrument.Name == "sochdb.policy.decisions")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            // The meter is shared by every engine in the process; count only this test's operations.
            if (Environment.CurrentManagedThreadId != thread)
            {
                return;
            }

            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "result")
                {
                    results.Add((string)tag.Value! + "×" + value);
                }
            }
        });
        listener.Start();

        engine.Put("a", "v");

        Assert.Equal(new[] { "allowed×1" }, results);
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        public List<Meter> Meters { get; } = new();

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            Meters.Add(meter);
            return meter;
        }

        public void Dispose() => Meters.ForEach(m => m.Dispose());
    }
}
