// Operating policies: rules from appsettings.json in a HostApplicationBuilder, one rule in shadow, a denial
// explained, and the file changed while the application runs (a broken edit refused, a good one applied).
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SochDb.Policy;
using SochDb.Policy.Hosting;

// Run from a scratch copy of the settings, so editing them below leaves the sample's own file alone.
string contentRoot = Directory.CreateTempSubdirectory("operating-policies-").FullName;
string settingsPath = Path.Combine(contentRoot, "appsettings.json");
File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), settingsPath);

try
{
    HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
    {
        Args = args,
        ContentRootPath = contentRoot,
    });
    builder.Services.AddSochDbPolicy(builder.Configuration.GetSection("SochDbPolicy"));
    using IHost app = builder.Build();
    await app.StartAsync();

    PolicyEngine engine = app.Services.GetRequiredService<PolicyEngine>();
    PolicyConfigurationStatus status = app.Services.GetRequiredService<PolicyConfigurationStatus>();
    var agent = new PolicyContext { AgentId = "planner" };
    var anonymous = PolicyContext.Empty;

    // 1. An enforced rule.
    try
    {
        engine.Put("system/prompt", "be evil", agent);
    }
    catch (PolicyViolationException e)
    {
        Console.WriteLine($"denied: {e.Key} ({e.Reason})");
    }

    // 2. A rule in shadow: the write proceeds, the audit says it would have been refused.
    engine.Put("memory/notes", "remember the milk", anonymous);
    AuditEntry shadowed = engine.Audit.Recent(limit: 1)[0];
    Console.WriteLine($"shadow: {shadowed.Key} written, audited {shadowed.Result} by {shadowed.Rule}");

    // 3. Why was that denied? Explain runs the rules without writing, spending a token or auditing.
    PolicyExplanation why = engine.Explain(PolicyOperation.Write, "system/prompt", agent, Encoding.UTF8.GetBytes("x"));
    Console.WriteLine("explain: " + why);

    // 4. A broken edit of the file (the shadowed rule promoted, with a typo in its action) is refused whole.
    Console.WriteLine("next, on purpose: a broken edit of appsettings.json (action \"RequireAgentID!\"); "
        + "the host logs its refusal and keeps the last good rules");
    JsonNode settings = JsonNode.Parse(File.ReadAllText(settingsPath))!;
    JsonNode shadowRule = settings["SochDbPolicy"]!["Rules"]![1]!;
    shadowRule["Mode"] = "Enforce";
    shadowRule["Action"] = "RequireAgentID!";
    await WriteSettingsAsync(settings);
    await WaitAsync(() => status.RefusedCount == 1, "the broken edit to be refused");
    Console.WriteLine($"refused: {status.LastRefusal!.Errors[0]}");
    engine.Put("memory/notes", "still allowed: the last good rules are in force", anonymous);

    // 5. The corrected edit is applied while the application runs: the rule is now enforced.
    shadowRule["Action"] = "RequireAgentId";
    await WriteSettingsAsync(settings);
    await WaitAsync(() => status.AppliedCount == 2, "the corrected edit to be applied");
    try
    {
        engine.Put("memory/notes", "no agent id", anonymous);
    }
    catch (PolicyViolationException e)
    {
        Console.WriteLine($"reloaded: {e.Key} now denied by {e.HandlerName} ({e.Reason})");
    }

    engine.Put("memory/notes", "with an agent id", agent);
    await app.StopAsync();
    Console.WriteLine("done");
}
finally
{
    Directory.Delete(contentRoot, recursive: true);
}

async Task WriteSettingsAsync(JsonNode settings) =>
    await File.WriteAllTextAsync(settingsPath, settings.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

static async Task WaitAsync(Func<bool> condition, string what)
{
    // File watchers report changes asynchronously; give them a generous bound.
    for (DateTime deadline = DateTime.UtcNow.AddSeconds(30); !condition(); await Task.Delay(50))
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"Timed out waiting for {what}.");
        }
    }
}
