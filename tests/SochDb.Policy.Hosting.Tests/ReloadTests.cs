using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SochDb.Policy.Hosting.Tests;

/// <summary>Reload on change: a good configuration replaces the rules; a bad one is refused, logged, counted, and changes nothing.</summary>
public sealed class ReloadTests
{
    [Fact]
    public void AGoodReloadReplacesTheConfiguredRules()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "a/*", "Deny")));
        PolicyEngine engine = host.Engine;
        Assert.Throws<PolicyViolationException>(() => engine.Put("a/1", "v"));

        host.Reload(Config.Rules(("BeforeWrite", "b/*", "Deny")));

        engine.Put("a/1", "v");
        Assert.Throws<PolicyViolationException>(() => engine.Put("b/1", "v"));
        Assert.Equal(2, host.Status.AppliedCount);
        Assert.Equal("config:BeforeWrite:b/*", Assert.Single(host.Status.Rules).HandlerName);
    }

    [Fact]
    public void ABadReloadIsRefusedLoggedAndTheLastGoodRulesStay()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "a/*", "Deny")));
        PolicyEngine engine = host.Engine;

        host.Reload(Config.Rules(("BeforeWrite", "b/*", "Deny"), ("BeforeWrite", "c/{x", "Deny")));

        Assert.Throws<PolicyViolationException>(() => engine.Put("a/1", "v"));
        engine.Put("b/1", "v"); // nothing from the refused file is enforced
        Assert.Equal(1, host.Status.RefusedCount);
        PolicyConfigurationError error = Assert.Single(host.Status.LastRefusal!.Errors);
        Assert.Equal("SochDbPolicy:Rules:1", error.Entry);
        Assert.Equal(2, error.PatternPosition); // the unclosed brace
        var logged = Assert.Single(host.Errors);
        Assert.Equal(1202, logged.Id.Id);
        Assert.Contains("SochDbPolicy:Rules:1.Pattern", logged.Message);
        Assert.Contains("last good configuration stays in force", logged.Message);
        Assert.Null(logged.Exception); // an operator's mistake, logged without a stack trace
    }

    [Fact]
    public void AReloadToAMissingSectionKeepsTheLastGoodRules()
    {
        using var host = new PolicyHost(Config.Rules(("BeforeWrite", "a/*", "Deny")));
        PolicyEngine engine = host.Engine;

        host.Configuration.Replace(new Dictionary<string, string?> { ["Other:Key"] = "x" });

        Assert.Throws<PolicyViolationException>(() => engine.Put("a/1", "v"));
        Assert.Contains("section is missing", host.Status.LastRefusal!.Message);
    }

    [Fact]
    public void RateLimitsReloadAndAnUnchangedLimitKeepsItsTokens()
    {
        Dictionary<string, string?> Limits(string writes, string reads) => Config.Rules()
            .With("RateLimits:0:Operation", "Write").With("RateLimits:0:MaxPerMinute", writes)
            .With("RateLimits:1:Operation", "Read").With("RateLimits:1:MaxPerMinute", reads);
        using var host = new PolicyHost(Limits("1", "5"));
        PolicyEngine engine = host.Engine;
        engine.Put("k", "v");
        Refusals.RateLimited(() => engine.Put("k", "v"));

        host.Reload(Limits("1", "50")); // the write limit is unchanged: its empty bucket stays empty

        Refusals.RateLimited(() => engine.Put("k", "v"));
        for (int i = 0; i < 50; i++)
        {
            engine.Get("k");
        }

        Refusals.RateLimited(() => engine.Get("k"));
        host.Reload(Config.Rules()); // no limits at all
        engine.Put("k", "v");
        engine.Get("k");
        Assert.Empty(host.Status.RateLimits);
    }

    [Fact]
    public void ABadRateLimitOnReloadKeepsTheOldLimits()
    {
        using var host = new PolicyHost(Config.Rules().With("RateLimits:0:Operation", "Write").With("RateLimits:0:MaxPerMinute", "1"));
        PolicyEngine engine = host.Engine;

        host.Reload(Config.Rules().With("RateLimits:0:Operation", "Write").With("RateLimits:0:MaxPerMinute", "0"));

        engine.Put("k", "v");
        Refusals.RateLimited(() => engine.Put("k", "v"));
        Assert.Contains("maxPerMinute must be at least 1", host.Status.LastRefusal!.Message);
    }

    [Fact]
    public async Task ARealJsonFileIsWatchedAndReloadedAndAPartialWriteIsRefused()
    {
        string dir = Directory.CreateTempSubdirectory("sochdb-reload-").FullName;
        try
        {
            string file = Path.Combine(dir, "policy.json");
            await File.WriteAllTextAsync(file, Json("secrets/**"));
            IConfigurationRoot config = new ConfigurationBuilder()
                .AddJsonFile(source =>
                {
                    source.Path = "policy.json";
                    source.FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(dir);
                    source.ReloadOnChange = true;
                    source.ReloadDelay = 50;
                    // A half-written file then reads as empty: refused as a missing section, never half-enforced.
                    source.OnLoadException = context => context.Ignore = true;
                })
                .Build();
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSochDbPolicy(config.GetSection("SochDbPolicy"));
            using ServiceProvider sp = services.BuildServiceProvider();
            PolicyEngine engine = sp.GetRequiredService<PolicyEngine>();
            PolicyConfigurationStatus status = sp.GetRequiredService<PolicyConfigurationStatus>();
            Assert.Throws<PolicyViolationException>(() => engine.Put("secrets/a", "v"));

            // One write can raise more than one change (and WriteUntil writes again while it waits), so each step waits
            // for the count to pass what it was, and checks what the engine enforces, not an exact count.
            long applied = status.AppliedCount;
            await WriteUntil(status, file, Json("private/**"), () => status.AppliedCount > applied, "the changed file to be applied");
            engine.Put("secrets/a", "v");
            Assert.Throws<PolicyViolationException>(() => engine.Put("private/a", "v"));

            string full = Json("cut/**");
            await WriteUntil(status, file, full[..(full.Length / 2)], () => status.RefusedCount >= 1, "the partial file to be refused");
            Assert.Throws<PolicyViolationException>(() => engine.Put("private/a", "v"));
            engine.Put("cut/a", "v");

            applied = status.AppliedCount;
            await WriteUntil(status, file, full, () => status.AppliedCount > applied, "the completed file to be applied");
            Assert.Throws<PolicyViolationException>(() => engine.Put("cut/b", "v"));
            engine.Put("private/a", "v");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Json(string deniedPattern) => $$"""
        {
          "SochDbPolicy": {
            "Store": { "InMemory": true },
            "Rules": [
              { "Name": "deny-{{deniedPattern}}", "Trigger": "BeforeWrite", "Pattern": "{{deniedPattern}}", "Action": "Deny", "Reason": "read-only area" },
              { "Trigger": "AfterRead", "Pattern": "pii/*", "Action": "Redact" }
            ],
            "RateLimits": [ { "Operation": "Write", "MaxPerMinute": 1000, "Scope": "agent_id" } ]
          }
        }
        """;

    /// <summary>
    /// Writes <paramref name="content"/> and polls until <paramref name="condition"/> holds, writing it again every three seconds:
    /// the configuration file provider watches again only after a reload's callbacks have run, so a write that lands in
    /// between raises no change (the provider's behaviour, not the engine's).
    /// </summary>
    private static async Task WriteUntil(PolicyConfigurationStatus status, string file, string content, Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        DateTime nextWrite = DateTime.MinValue;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after 30 s waiting for {what} ({status.AppliedCount} applied, {status.RefusedCount} refused, last refusal: {status.LastRefusal?.Message}).");
            if (DateTime.UtcNow >= nextWrite)
            {
                await File.WriteAllTextAsync(file, content);
                nextWrite = DateTime.UtcNow.AddSeconds(3);
            }

            await Task.Delay(50);
        }
    }
}
