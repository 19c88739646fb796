using System;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SochDb.Policy.Hosting;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Testing;

/// <summary>
/// A policy engine for tests: an in-memory store, a fake clock that only moves when told, and assertions built on
/// <see cref="PolicyEngine.Explain(PolicyOperation, string, PolicyContext?, byte[])"/>, so asserting changes nothing
/// (no write, no token spent, no audit entry). Register rules on <see cref="Engine"/>, seed data with
/// <see cref="Seed(string, string)"/>, then assert. Failures throw <see cref="PolicyAssertionException"/>.
/// </summary>
public sealed class PolicyTestHost : IDisposable
{
    private readonly ServiceProvider? _services;

    /// <summary>Creates a host running <paramref name="compiled"/> sets (add run-time rules on <see cref="Engine"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="compiled"/> is null.</exception>
    public PolicyTestHost(params CompiledPolicySet[] compiled)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        Store = Database.OpenInMemory();
        Engine = new PolicyEngine(Store, new PolicyEngineOptions { TimeProvider = Clock }, compiled);
        Engine.Audit.Enable();
    }

    private PolicyTestHost(ServiceProvider services, IKeyValueStore store)
    {
        _services = services;
        Store = store;
        Engine = services.GetRequiredService<PolicyEngine>();
    }

    /// <summary>
    /// Creates a host whose rules and rate limits come from a configuration section (the schema of
    /// <c>AddSochDbPolicy</c>, see docs/operating.md), over an in-memory store whatever the section says.
    /// </summary>
    /// <param name="section">The policy section, e.g. <c>configuration.GetSection("SochDbPolicy")</c> of your appsettings.json.</param>
    /// <param name="compiled">Compiled sets to run before the configured rules.</param>
    /// <exception cref="PolicyConfigurationException">The configuration is invalid (the message names each entry at fault).</exception>
    public static PolicyTestHost FromConfiguration(IConfiguration section, params CompiledPolicySet[] compiled)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(compiled);
        var clock = new FakeTimeProvider(Epoch);
        IKeyValueStore store = Database.OpenInMemory();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        SochDbPolicyBuilder builder = services.AddSochDbPolicy(section).UseStore(_ => store);
        foreach (CompiledPolicySet set in compiled)
        {
            builder.AddCompiledSet(set);
        }

        ServiceProvider provider = services.BuildServiceProvider();
        try
        {
            var host = new PolicyTestHost(provider, store) { Clock = clock };
            return host;
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    /// <summary>When the fake clock starts: 2026-01-01 00:00 UTC.</summary>
    public static DateTimeOffset Epoch { get; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The engine under test.</summary>
    public PolicyEngine Engine { get; }

    /// <summary>The store behind the engine; writing here bypasses every policy (to set up data).</summary>
    public IKeyValueStore Store { get; }

    /// <summary>The engine's clock; it moves only through <see cref="AdvanceTime"/>.</summary>
    public FakeTimeProvider Clock { get; private init; } = new(Epoch);

    /// <summary>Moves the clock forward (rate-limit buckets refill accordingly).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is negative.</exception>
    public void AdvanceTime(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Clock.Advance(by);
    }

    /// <summary>Writes <paramref name="value"/> under <paramref name="key"/> straight into the store, past every policy.</summary>
    public void Seed(string key, string value) => Store.Put(key, value);

    /// <summary>Asserts the operation would be denied (by any rule, or by <paramref name="byRule"/> when given).</summary>
    /// <param name="operation">Read, Write or Delete.</param>
    /// <param name="key">The key.</param>
    /// <param name="context">The caller (agent id, session, items).</param>
    /// <param name="value">For a write, the value written; for a read, the value read (default: the stored one).</param>
    /// <param name="byRule">The deciding rule's handler name or pattern, when the test cares which rule denies.</param>
    /// <returns>The explanation, for further checks.</returns>
    /// <exception cref="PolicyAssertionException">The operation would not be denied, or another rule denies it.</exception>
    public PolicyExplanation AssertDenied(PolicyOperation operation, string key, PolicyContext? context = null, string? value = null, string? byRule = null)
    {
        PolicyExplanation explanation = Explain(operation, key, context, value);
        if (explanation.Verdict != AuditResult.Denied)
        {
            throw Fail($"Expected {operation} of \"{key}\" to be denied{RuleSuffix(byRule)}, but it would be {Describe(explanation)}.", explanation);
        }

        if (byRule is not null && !Names(explanation.DecidingRule, byRule))
        {
            throw Fail($"Expected {operation} of \"{key}\" to be denied{RuleSuffix(byRule)}, but it is denied by {explanation.DecidingRule}.", explanation);
        }

        return explanation;
    }

    /// <summary>Asserts the operation would be allowed, unchanged (no denial, no modification, no limit in the way).</summary>
    /// <inheritdoc cref="AssertDenied" path="/param"/>
    /// <returns>The explanation, for further checks.</returns>
    /// <exception cref="PolicyAssertionException">The operation would be denied, modified, rate limited or fail.</exception>
    public PolicyExplanation AssertAllowed(PolicyOperation operation, string key, PolicyContext? context = null, string? value = null)
    {
        PolicyExplanation explanation = Explain(operation, key, context, value);
        if (explanation.Verdict != AuditResult.Allowed)
        {
            throw Fail($"Expected {operation} of \"{key}\" to be allowed, but it would be {Describe(explanation)}.", explanation);
        }

        return explanation;
    }

    /// <summary>
    /// Asserts a read of <paramref name="key"/> would return <paramref name="expected"/> instead of the stored value (or
    /// a write would store it instead of <paramref name="value"/>).
    /// </summary>
    /// <param name="operation">Read (AfterRead redaction) or Write (BeforeWrite redaction).</param>
    /// <param name="key">The key.</param>
    /// <param name="expected">The value the reader would get, or that would be written (UTF-8).</param>
    /// <param name="context">The caller.</param>
    /// <param name="value">For a write, the value given; for a read, the value read (default: the stored one).</param>
    /// <returns>The explanation, for further checks.</returns>
    /// <exception cref="PolicyAssertionException">The value would not be modified, or to something else.</exception>
    public PolicyExplanation AssertRedacted(PolicyOperation operation, string key, string expected, PolicyContext? context = null, string? value = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        PolicyExplanation explanation = Explain(operation, key, context, value);
        if (explanation.Verdict != AuditResult.Modified)
        {
            throw Fail($"Expected {operation} of \"{key}\" to be redacted to \"{expected}\", but it would be {Describe(explanation)}.", explanation);
        }

        string actual = Encoding.UTF8.GetString(explanation.ResultingValue ?? Array.Empty<byte>());
        if (actual != expected)
        {
            throw Fail($"Expected {operation} of \"{key}\" to be redacted to \"{expected}\", but {explanation.DecidingRule} makes it \"{actual}\".", explanation);
        }

        return explanation;
    }

    /// <summary>Asserts the operation would be refused by a rate limit (spend the tokens with real operations first).</summary>
    /// <param name="operation">Read, Write or Delete.</param>
    /// <param name="key">The key.</param>
    /// <param name="context">The caller (its scope values pick the buckets).</param>
    /// <returns>The explanation; its <see cref="PolicyExplanation.Limits"/> say when a token comes back.</returns>
    /// <exception cref="PolicyAssertionException">A token is available.</exception>
    public PolicyExplanation AssertRateLimited(PolicyOperation operation, string key, PolicyContext? context = null)
    {
        PolicyExplanation explanation = Explain(operation, key, context, null);
        if (explanation.Verdict != AuditResult.RateLimited)
        {
            throw Fail($"Expected {operation} of \"{key}\" to be rate limited, but it would be {Describe(explanation)}.", explanation);
        }

        return explanation;
    }

    /// <summary>Asserts a shadow rule would deny the operation while it still proceeds (the rule's verdict is only recorded).</summary>
    /// <inheritdoc cref="AssertDenied"/>
    /// <exception cref="PolicyAssertionException">No shadow rule would deny the operation.</exception>
    public PolicyExplanation AssertWouldDeny(PolicyOperation operation, string key, PolicyContext? context = null, string? value = null, string? byRule = null)
    {
        PolicyExplanation explanation = Explain(operation, key, context, value);
        if (explanation.Verdict != AuditResult.WouldDeny || (byRule is not null && !Names(explanation.DecidingRule, byRule)))
        {
            throw Fail($"Expected a shadow rule{RuleSuffix(byRule)} to deny {operation} of \"{key}\" without enforcing it, but it would be {Describe(explanation)}.", explanation);
        }

        return explanation;
    }

    /// <summary>What the engine would do with the operation (no write, no token, no audit).</summary>
    public PolicyExplanation Explain(PolicyOperation operation, string key, PolicyContext? context = null, string? value = null) =>
        Engine.Explain(operation, key, context, value is null ? null : Encoding.UTF8.GetBytes(value));

    /// <inheritdoc />
    public void Dispose()
    {
        if (_services is not null)
        {
            _services.Dispose(); // the engine, then the store
        }
        else
        {
            Engine.Dispose();
            Store.Dispose();
        }
    }

    private static string RuleSuffix(string? byRule) => byRule is null ? string.Empty : $" by rule \"{byRule}\"";

    private static bool Names(PolicyRuleInfo? rule, string name) =>
        rule is not null && (rule.HandlerName == name || rule.Pattern == name);

    private static string Describe(PolicyExplanation explanation)
    {
        string verdict = explanation.Verdict switch
        {
            AuditResult.Allowed when explanation.NoRuleMatched => "allowed: no rule matched",
            AuditResult.Allowed => "allowed: every matching rule allowed it",
            _ => explanation.Verdict.ToString(),
        };
        if (explanation.DecidingRule is not null)
        {
            verdict += $" by {explanation.DecidingRule}";
        }

        if (explanation.Reason is not null)
        {
            verdict += $" because \"{explanation.Reason}\"";
        }

        return verdict;
    }

    private static PolicyAssertionException Fail(string message, PolicyExplanation explanation) =>
        new(message + Environment.NewLine + "Explanation: " + explanation, explanation);
}
