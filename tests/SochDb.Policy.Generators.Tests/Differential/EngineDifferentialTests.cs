using System.Reflection;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SochDb.Policy.Matching;

namespace SochDb.Policy.Generators.Tests.Differential;

/// <summary>
/// The same random rules through <see cref="PolicyEngine"/> twice: once as the generated compiled set, once
/// registered at run time (<c>engine.BeforeWrite(pattern, handler)</c> ...). Every Put, Get and Delete must end
/// the same way: same exception (rule, reason), same value returned, same handler calls, same store contents.
/// </summary>
public class EngineDifferentialTests
{
    private static readonly string[] KeySegments = ["a", "b", "ab", "", "\u00e9", "x.json", "a+b", "a.b", "*", "x"];

    private static readonly PolicyContext[] Contexts =
        [PolicyContext.Empty, new PolicyContext { AgentId = "agent-1" }, new PolicyContext { AgentId = "" }];

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(11, false, false)]
    [InlineData(12, false, false)]
    [InlineData(13, true, false)]
    [InlineData(14, true, false)]
    [InlineData(15, true, true)]
    public void CompiledAndRunTimeRulesBehaveTheSameThroughTheEngine(int seed, bool wildcardFirst, bool crowded)
    {
        var random = new Random(seed);
        var model = new RandomPolicyModel(random, wildcardFirst: wildcardFirst, crowded: crowded);
        ClassModel[] classes = crowded
            ? [model.Class("EngineA", 120, [PolicyTrigger.BeforeWrite, PolicyTrigger.BeforeRead]), model.Class("EngineB", 40)]
            : wildcardFirst
                ? [model.Class("EngineA", 80), model.Class("EngineB", 40)]
                : [model.Class("EngineA", 25), model.Class("EngineB", 12)];
        string[] keySegments = wildcardFirst ? [.. KeySegments, .. RandomPolicyModel.AnchorKeySegments] : KeySegments;
        GeneratorResult result = GeneratorHarness.Run(RandomPolicyModel.Source(classes));
        Assembly assembly = GeneratorHarness.Load(result.Output);

        var compiledCalls = new List<List<int>>();
        var runtimeCalls = new List<int>();
        var compiledStore = Database.OpenInMemory();
        var runtimeStore = Database.OpenInMemory();
        var compiled = new PolicyEngine(compiledStore, new PolicyEngineOptions { TimeProvider = new FakeTimeProvider() },
            classes.Select(c => GeneratorHarness.CompiledSet(assembly, "Differential." + c.Name)).ToArray());
        var runtime = new PolicyEngine(runtimeStore, new PolicyEngineOptions { TimeProvider = new FakeTimeProvider() });
        foreach (ClassModel cls in classes)
        {
            compiledCalls.Add((List<int>)assembly.GetType("Differential." + cls.Name)!.GetField("Calls")!.GetValue(null)!);
            Register(runtime, cls, runtimeCalls);
        }

        for (int i = 0; i < 1500; i++)
        {
            string key = RandomKey(random, keySegments);
            byte[] value = [(byte)random.Next(0, 7), (byte)random.Next(0, 7)];
            PolicyContext context = Contexts[random.Next(Contexts.Length)];
            int operation = random.Next(3);
            compiledCalls.ForEach(c => c.Clear());
            runtimeCalls.Clear();
            string want = Run(runtime, operation, key, value, context);
            string got = Run(compiled, operation, key, value, context);
            Assert.True(want == got, $"op {operation} on {key} agent={context.AgentId ?? "null"}\nrun-time: {want}\ncompiled: {got}");
            for (int c = 0; c < classes.Length; c++)
            {
                // Handler ids are unique across classes: the run-time calls of one class, in order, are its compiled calls.
                var ids = classes[c].Handlers.Select(h => h.Id).ToHashSet();
                Assert.Equal(runtimeCalls.Where(ids.Contains), compiledCalls[c]);
            }
        }

        Assert.Equal(Dump(runtimeStore), Dump(compiledStore));
    }

    private static void Register(PolicyEngine engine, ClassModel cls, List<int> calls)
    {
        foreach (ExpectedRule rule in RulesOracle.DispatchOrder(cls))
        {
            string name = rule.Info.HandlerName;
            if (rule.Handler is { } handler)
            {
                if (handler.Return == ReturnShape.Void)
                {
                    PolicyObserver observer = (in PolicyRequest r) => RulesOracle.Decide(handler, r.Key, r.Value, r.Context, calls);
                    if (handler.Trigger == PolicyTrigger.AfterWrite)
                    {
                        engine.AfterWrite(rule.Info.Pattern, observer, name);
                    }
                    else
                    {
                        engine.AfterDelete(rule.Info.Pattern, observer, name);
                    }
                }
                else
                {
                    engine.On(handler.Trigger, rule.Info.Pattern, (in PolicyRequest r) => RulesOracle.Decide(handler, r.Key, r.Value, r.Context, calls), name);
                }
            }
            else
            {
                ClassRuleModel classRule = rule.ClassRule!;
                engine.On(classRule.Trigger, classRule.Pattern, (in PolicyRequest r) => RulesOracle.Decide(classRule, r.Context), name);
            }
        }

        foreach (var (operation, max, scope) in cls.RateLimits)
        {
            engine.AddRateLimit((PolicyOperation)operation, max, scope);
        }
    }

    private static string Run(PolicyEngine engine, int operation, string key, byte[] value, PolicyContext context)
    {
        try
        {
            return operation switch
            {
                0 => Put(engine, key, value, context),
                1 => "got " + (engine.Get(key, context) is { } read ? Convert.ToHexString(read) : "null"),
                _ => "deleted " + engine.Delete(key, context),
            };
        }
        catch (PolicyViolationException exception)
        {
            return $"{exception.GetType().Name} rule={exception.HandlerName} pattern={exception.Pattern} reason={exception.Reason} inner={exception.InnerException?.Message}";
        }
        catch (PolicyHandlerException exception)
        {
            return $"{exception.GetType().Name} inner={exception.InnerException?.Message}";
        }
    }

    private static string Put(PolicyEngine engine, string key, byte[] value, PolicyContext context)
    {
        engine.Put(key, value, context);
        return "put";
    }

    private static string Dump(IKeyValueStore store) =>
        string.Join(";", store.Scan(ReadOnlySpan<byte>.Empty).Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)));

    private static string RandomKey(Random random, string[] segments)
    {
        int count = random.Next(1, 5);
        string key = string.Join("/", Enumerable.Range(0, count).Select(_ => segments[random.Next(segments.Length)]));
        return key.Length == 0 ? "a" : key;
    }
}
