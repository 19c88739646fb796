using static SochDb.Policy.Tests.Engine.EngineTestKit;
using SochDb.Policy.CompilerServices;

namespace SochDb.Policy.Tests.Engine;

/// <summary>Bad input gets a clear exception that says what was wrong and where, and the store is left as it was.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void NullOrEmptyKeysAreRejected_BeforeAnyPolicyOrStoreWork()
    {
        using var kit = new EngineTestKit();
        kit.Engine.AddRateLimit(PolicyOperation.All, 1);

        Assert.Throws<ArgumentNullException>("key", () => kit.Engine.Put((string)null!, "v"));
        Assert.Throws<ArgumentException>("key", () => kit.Engine.Put("", "v"));
        Assert.Throws<ArgumentException>("key", () => kit.Engine.Put(ReadOnlySpan<byte>.Empty, "v"u8));
        Assert.Throws<ArgumentException>("key", () => kit.Engine.Get(""));
        Assert.Throws<ArgumentException>("key", () => kit.Engine.Delete(ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentException>("key", () => kit.Engine.Put(new byte[IKeyValueStore.MaxKeyLength + 1], "v"u8));
        Assert.Throws<ArgumentNullException>("value", () => kit.Engine.Put("k", (string)null!));
        Assert.Throws<ArgumentNullException>("prefix", () => kit.Engine.Scan((string)null!));
        // The check a custom store calls: the same rule, the caller's argument name, the length in the message.
        Assert.Throws<ArgumentException>("k", () => IKeyValueStore.ValidateKey([], "k"));
        Assert.Contains("4097", Assert.Throws<ArgumentException>(() => IKeyValueStore.ValidateKey(new byte[IKeyValueStore.MaxKeyLength + 1])).Message);
        IKeyValueStore.ValidateKey(new byte[IKeyValueStore.MaxKeyLength]);

        kit.Engine.Put("k", "v");   // the bad calls took no token
        Assert.Equal("k", Assert.Single(kit.Audit()).Key);
    }

    [Fact]
    public void NullHandlersAndPatternsAreRejected()
    {
        using var kit = new EngineTestKit();

        Assert.Throws<ArgumentNullException>("handler", () => kit.Engine.BeforeWrite("a/*", null!));
        Assert.Throws<ArgumentNullException>("handler", () => kit.Engine.AfterDelete("a/*", null!));
        Assert.Throws<ArgumentNullException>("pattern", () => kit.Engine.BeforeRead(null!, Policies.AllowAll));
        Assert.Throws<ArgumentException>("name", () => kit.Engine.BeforeRead("a", Policies.AllowAll, " "));
        Assert.Throws<ArgumentException>("trigger", () => kit.Engine.On(PolicyTrigger.AfterWrite, "a", Policies.AllowAll));
        Assert.Equal(0, kit.Engine.RuntimeRuleCount);
    }

    /// <summary>Invalid patterns and the position of what is wrong in each.</summary>
    public static TheoryData<string, int> InvalidPatterns { get; } = new()
    {
        { "", 0 },
        { "users/**.json", 6 },
        { "logs/[z-a]", 6 },
        { "config/*.{json,yaml", 9 },
    };

    [Theory]
    [MemberData(nameof(InvalidPatterns))]
    public void AnInvalidPatternThrowsGlobPatternException_WithThePosition_AndRegistersNothing(string pattern, int position)
    {
        using var kit = new EngineTestKit();

        var error = Assert.Throws<GlobPatternException>(() => kit.Engine.BeforeWrite(pattern, Policies.DenyAll));

        Assert.Equal(pattern, error.Pattern);
        Assert.Equal(position, error.Position);
        Assert.Equal("pattern", error.ParamName);
        Assert.Contains(pattern.Length == 0 ? "Invalid glob pattern" : pattern, error.Message);
        Assert.Equal(0, kit.Engine.RuntimeRuleCount);
        kit.Engine.Put("users/a.json", "still writable");
    }

    [Theory]
    [MemberData(nameof(InvalidPatterns))]
    public void ValidatePattern_ReturnsWhatIsWrong_TheSameErrorRegisteringThrows_WithoutThrowing(string pattern, int position)
    {
        using var kit = new EngineTestKit();
        var thrown = Assert.Throws<GlobPatternException>(() => kit.Engine.BeforeWrite(pattern, Policies.DenyAll));

        GlobPatternException? error = PolicyEngine.ValidatePattern(pattern);

        Assert.NotNull(error);
        Assert.Equal((pattern, position, thrown.Length, thrown.Reason, "pattern"), (error.Pattern, error.Position, error.Length, error.Reason, error.ParamName));
        Assert.Equal(thrown.Message, error.Message);
    }

    [Theory]
    [InlineData("users/*")]
    [InlineData("**/secret")]
    [InlineData("config/*.{json,yaml}")]
    [InlineData("logs/[a-z]?")]
    public void ValidatePattern_ReturnsNull_ForAValidPattern_ThatRegistersFine(string pattern)
    {
        using var kit = new EngineTestKit();

        Assert.Null(PolicyEngine.ValidatePattern(pattern));
        using PolicyRegistration registration = kit.Engine.BeforeWrite(pattern, Policies.DenyAll);
    }

    [Fact]
    public void ValidatePattern_RefusesNull() =>
        Assert.Equal("pattern", Assert.Throws<ArgumentNullException>(() => PolicyEngine.ValidatePattern(null!)).ParamName);

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void ANonPositiveRateIsRejected(int maxPerMinute)
    {
        using var kit = new EngineTestKit();

        var error = Assert.Throws<ArgumentOutOfRangeException>("maxPerMinute", () => kit.Engine.AddRateLimit(PolicyOperation.Write, maxPerMinute));

        Assert.Contains("must be positive", error.Message);
        kit.Engine.Put("k", "v");
    }

    [Fact]
    public void UnknownOperationsAndScopesAreRejected()
    {
        using var kit = new EngineTestKit();

        var name = Assert.Throws<ArgumentException>("operation", () => kit.Engine.AddRateLimit("writes", 10));
        Assert.Throws<ArgumentOutOfRangeException>("operation", () => kit.Engine.AddRateLimit((PolicyOperation)42, 10));
        Assert.Throws<ArgumentException>("scope", () => kit.Engine.AddRateLimit(PolicyOperation.Read, 10, ""));
        Assert.Throws<ArgumentException>("scope", () => kit.Engine.AddRateLimit(PolicyOperation.Read, 10, "  "));
        Assert.Throws<ArgumentOutOfRangeException>("operation", () => kit.Engine.Audit.Recent(operation: (PolicyOperation)9));

        Assert.Contains("\"writes\"", name.Message);
        Assert.Contains("\"read\", \"write\", \"delete\" or \"all\"", name.Message);
        for (int i = 0; i < 20; i++)
        {
            kit.Engine.Put("k", "v");   // no half-added limit
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void NonPositiveAuditSizesAndLimitsAreRejected(int bad)
    {
        using var kit = new EngineTestKit();
        kit.Engine.Put("k", "v");

        Assert.Throws<ArgumentOutOfRangeException>("maxEntries", () => kit.Engine.Audit.Enable(bad));
        Assert.Throws<ArgumentOutOfRangeException>("limit", () => kit.Engine.Audit.Recent(bad));
        Assert.True(kit.Engine.Audit.IsEnabled);
        Assert.Single(kit.Audit());
    }

    [Fact]
    public void TheConstructorRejectsNullStoresAndSets()
    {
        using var store = Database.OpenInMemory();

        Assert.Throws<ArgumentNullException>("store", () => new PolicyEngine(null!));
        Assert.Throws<ArgumentNullException>("compiled", () => new PolicyEngine(store, (CompiledPolicySet[])null!));
        var error = Assert.Throws<ArgumentException>("compiled", () => new PolicyEngine(store, HandWrittenPolicySet.Create(), null!));
        Assert.Contains("index 1", error.Message);
    }

    [Fact]
    public void AHandlerThatThrowsOrMisbehavesLeavesTheStoreExactlyAsItWas()
    {
        using var kit = new EngineTestKit();
        kit.Store.Put("k", "original");
        kit.Engine.BeforeWrite("k", (in PolicyRequest _) => PolicyDecision.Modify("changed"u8.ToArray()));
        kit.Engine.BeforeWrite("k", (in PolicyRequest _) => throw new InvalidOperationException("late failure"));
        kit.Engine.BeforeDelete("k", (in PolicyRequest _) => PolicyDecision.Modify("x"u8.ToArray()));

        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("k", "new"));
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Delete("k"));

        Assert.Equal("original", kit.Stored("k"));
        Assert.Equal(new[] { "k" }, kit.Store.Scan("").Select(kv => Text(kv.Key)));
    }
}
