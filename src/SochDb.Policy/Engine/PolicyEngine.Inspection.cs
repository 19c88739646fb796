using System;
using System.Collections.Generic;
using System.Threading;
using SochDb.Policy.Engine;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy;

public sealed partial class PolicyEngine
{
    /// <summary>
    /// Every rule the engine runs, trigger by trigger in the order they run: each compiled set's rules, then the rules
    /// registered at run time or loaded from configuration. A snapshot: registration does not change a list already read.
    /// </summary>
    public IReadOnlyList<PolicyRuleInfo> Rules
    {
        get
        {
            RuleTable table = Volatile.Read(ref _rules);
            var rules = new List<PolicyRuleInfo>();
            for (var trigger = PolicyTrigger.BeforeWrite; trigger <= PolicyTrigger.AfterDelete; trigger++)
            {
                foreach (CompiledPolicySet set in _compiled)
                {
                    foreach (PolicyRuleInfo rule in set.Rules)
                    {
                        if (rule.Trigger == trigger)
                        {
                            rules.Add(rule);
                        }
                    }
                }

                foreach (RuntimeRule rule in table[trigger].Rules)
                {
                    rules.Add(rule.Info);
                }
            }

            return rules;
        }
    }

    /// <summary>
    /// The busiest rate-limit scopes of this process now: the <paramref name="count"/> buckets with the fewest tokens left
    /// (full buckets are left out), each with its limit, scope value, tokens left and wait for the next token. Takes no
    /// token. With a shared backend (<see cref="PolicyEngineOptions.RateLimitBackend"/>) these are the local buckets only.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    public IReadOnlyList<LimitExplanation> BusiestLimits(int count = 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return _limiter.Busiest(count);
    }
}
