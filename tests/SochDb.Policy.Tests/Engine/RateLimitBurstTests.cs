namespace SochDb.Policy.Tests.Engine;

/// <summary>
/// What docs/semantics.md and the XML docs of <c>AddRateLimit</c> promise about a limit's first minute: the full bucket
/// passes at once and the refill comes on top, so up to twice <c>maxPerMinute</c> pass within one minute, never more.
/// </summary>
public sealed class RateLimitBurstTests
{
    [Fact]
    public void FirstMinute_AdmitsTheFullBucketAtOnce_PlusTheRefill_UpToTwiceMaxPerMinute()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 60);

        int passedAtOnce = PutUntilRefused(kit);
        kit.Time.Advance(TimeSpan.FromSeconds(60));
        int passedAtTheMinute = PutUntilRefused(kit);

        Assert.Equal(60, passedAtOnce);
        Assert.Equal(60, passedAtTheMinute);
        Assert.Equal(2 * 60, passedAtOnce + passedAtTheMinute);
    }

    [Fact]
    public void AfterTheBurst_TheRefillRateApplies()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.Write, 60);
        PutUntilRefused(kit);

        // One token a second at 60 a minute: ten seconds later, ten more, then the bucket is empty again.
        kit.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(10, PutUntilRefused(kit));
    }

    private static int PutUntilRefused(EngineTestKit kit)
    {
        for (int passed = 0; passed < 1_000; passed++)
        {
            try
            {
                kit.Engine.Put("k", "v");
            }
            catch (PolicyViolationException refused) when (refused.Cause == PolicyRefusalCause.RateLimited)
            {
                return passed;
            }
        }

        throw new InvalidOperationException("the limit never refused");
    }
}
