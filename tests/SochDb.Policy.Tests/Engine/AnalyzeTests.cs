using SochDb.Policy.CompilerServices;
namespace SochDb.Policy.Tests.Engine;

/// <summary><see cref="PolicyEngine.Analyze"/>: findings over compiled, configured-style and run-time rules, in engine order.</summary>
public sealed class AnalyzeTests
{
    private static readonly PolicyHandler Conditional = static (in PolicyRequest r) => r.Context.Has("admin") ? PolicyAction.Allow : PolicyAction.Deny;
    private static readonly PolicyHandler Other = static (in PolicyRequest r) => PolicyAction.Allow;

    private static PolicyEngine Engine(params CompiledPolicySet[] compiled) => new(Database.OpenInMemory(), compiled);

    [Fact]
    public void A_rule_whose_keys_an_earlier_unconditional_deny_refuses_never_runs()
    {
        PolicyEngine engine = Engine();
        PolicyRegistration deny = engine.BeforeWrite("secrets/**", Policies.DenyAll);
        PolicyRegistration rule = engine.BeforeWrite("secrets/*/key", Other, "Audit.Keys");

        PolicyFinding finding = Assert.Single(engine.Analyze().Findings, f => f.Id != "SOCH0016");

        Assert.Equal("SOCH0014", finding.Id);
        Assert.True(finding.IsWarning);
        Assert.Same(rule.Rule, finding.Rule);
        Assert.Same(deny.Rule, Assert.Single(finding.RelatedRules));
        Assert.Contains("never runs", finding.Message);
        Assert.Contains("Audit.Keys", finding.Message);
    }

    [Fact]
    public void Denials_that_together_cover_a_rule_make_it_unreachable()
    {
        PolicyEngine engine = Engine();
        engine.BeforeWrite("a/*", Policies.Deny("no a"));
        engine.BeforeWrite("b/*", Policies.Deny("no b"));
        engine.BeforeWrite("{a,b}/x", Other);

        PolicyFinding finding = Assert.Single(engine.Analyze().Findings, f => f.Id == "SOCH0014");
        Assert.Equal(2, finding.RelatedRules.Count);
    }

    [Fact]
    public void Near_misses_are_not_findings()
    {
        PolicyEngine engine = Engine();
        engine.BeforeWrite("secrets/*", Policies.DenyAll);            // covers one level only ...
        engine.BeforeWrite("secrets/**", Other);                       // ... so this one still runs for secrets/a/b
        engine.BeforeRead("vault/**", Conditional);                   // a conditional deny refuses nothing for certain
        engine.BeforeRead("vault/*/key", Other);
        engine.BeforeDelete("logs/*", Policies.DenyAll, mode: EnforcementMode.Shadow); // a shadow deny refuses nothing
        engine.BeforeDelete("logs/a", Other);
        engine.BeforeWrite("late/*", Other);                           // the deny runs after it
        engine.BeforeWrite("late/**", Policies.DenyAll);

        Assert.DoesNotContain(engine.Analyze().Findings, f => f.Id is "SOCH0014" or "SOCH0017");
    }

    [Fact]
    public void The_same_handler_on_equivalent_patterns_is_a_duplicate()
    {
        PolicyEngine engine = Engine();
        engine.BeforeWrite("a/{b,c}", Other);
        PolicyRegistration second = engine.BeforeWrite("a/[bc]", Other);
        engine.BeforeWrite("a/{b,c}", Conditional); // another handler: not a duplicate

        PolicyFinding finding = Assert.Single(engine.Analyze().Findings);
        Assert.Equal("SOCH0015", finding.Id);
        Assert.Same(second.Rule, finding.Rule);
    }

    [Fact]
    public void A_deny_below_a_key_that_no_rule_matches_leaves_the_parent_open()
    {
        PolicyEngine engine = Engine();
        PolicyRegistration deny = engine.BeforeWrite("x/**", Policies.DenyAll);
        engine.BeforeWrite("y/*", Policies.DenyAll);
        engine.BeforeWrite("{y,z}", Conditional); // any rule matching "y" closes it

        PolicyFinding finding = Assert.Single(engine.Analyze().Findings);
        Assert.Equal("SOCH0016", finding.Id);
        Assert.False(finding.IsWarning);
        Assert.Same(deny.Rule, finding.Rule);
        Assert.Contains("\"x\"", finding.Message);
    }

    [Fact]
    public void Approvals_and_redactions_behind_a_deny_are_never_reached()
    {
        PolicyEngine engine = Engine();
        engine.BeforeRead("vault/**", Policies.DenyAll);
        engine.BeforeRead("vault", Policies.DenyAll);
        PolicyRegistration redact = engine.AfterRead("vault/*/ssn", Policies.RedactValue());
        engine.BeforeWrite("vault/**", Policies.DenyAll);
        engine.BeforeWrite("vault", Policies.DenyAll);
        PolicyRegistration approval = engine.BeforeWrite("vault/payments/*", Policies.RequireApproval("payments need a person"));

        PolicyFinding[] findings = engine.Analyze().Findings.ToArray();
        Assert.Equal(2, findings.Length);
        Assert.All(findings, f => Assert.Equal("SOCH0017", f.Id));
        Assert.Same(redact.Rule, findings[0].Rule);
        Assert.Same(approval.Rule, findings[1].Rule);
    }

    [Fact]
    public void Compiled_rules_run_first_and_the_generator_marks_constant_denials()
    {
        var compiled = new DenyingSet();
        PolicyEngine engine = Engine(compiled);
        PolicyRegistration runtime = engine.BeforeDelete("archive/2024/*", Other);

        PolicyFinding finding = Assert.Single(engine.Analyze().Findings, f => f.Id == "SOCH0014");
        Assert.Same(runtime.Rule, finding.Rule);
        Assert.Same(DenyingSet.Rule, Assert.Single(finding.RelatedRules));

        // In shadow mode the same set refuses nothing.
        PolicyEngine shadowed = Engine(compiled.WithMode(EnforcementMode.Shadow));
        shadowed.BeforeDelete("archive/2024/*", Other);
        Assert.DoesNotContain(shadowed.Analyze().Findings, f => f.Id == "SOCH0014");
    }

    [Fact]
    public void The_report_counts_rules_and_reads_as_text()
    {
        PolicyEngine engine = Engine();
        engine.BeforeWrite("a/**", Policies.DenyAll);
        engine.BeforeWrite("a", Policies.DenyAll);
        engine.BeforeWrite("a/b", Other);
        engine.AfterWrite("a/**", static (in PolicyRequest _) => { });

        PolicySetReport report = engine.Analyze();
        Assert.Equal(4, report.RuleCount);
        Assert.True(report.HasWarnings);
        Assert.Empty(report.NotAnalysed);
        Assert.StartsWith("4 rules, 1 finding", report.ToString());
        Assert.Contains("SOCH0014 warning:", report.ToString());
    }

    private sealed class DenyingSet : CompiledPolicySet
    {
        // What the generator emits for [BeforeDelete("archive/**")] static PolicyAction Keep(...) => PolicyAction.Deny;
        public static readonly PolicyRuleInfo Rule = new(PolicyTrigger.BeforeDelete, "archive/**", "Retention.Keep", 0, EnforcementMode.Enforce, alwaysDenies: true);
        private static readonly PolicyRuleInfo Parent = new(PolicyTrigger.BeforeDelete, "archive", "Retention.Keep", 0, EnforcementMode.Enforce, alwaysDenies: true);

        public DenyingSet()
            : base("Retention", new[] { Rule, Parent })
        {
        }

        public override void Evaluate(ref PolicyEvaluation evaluation)
        {
        }
    }
}
