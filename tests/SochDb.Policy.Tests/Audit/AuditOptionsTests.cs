namespace SochDb.Policy.Tests.Audit;

/// <summary>Audit options are immutable records compared as a whole; enabling audit again keeps or replaces the writer by that comparison.</summary>
public sealed class AuditOptionsTests
{
    [Fact]
    public void Defect5_EnablingAgainWithANewBatchDelay_UsesIt_AndEnableAuditIntKeepsIt()
    {
        var sink = new ControllableSink(durable: false);
        using var engine = new PolicyEngine(Database.OpenInMemory());
        var first = new AuditOptions { Sinks = [sink], MaxBatchDelay = TimeSpan.FromMilliseconds(2) };
        engine.Audit.Enable(first);
        var firstWriter = engine.AuditWriter!;

        engine.Audit.Enable(first with { MaxBatchDelay = TimeSpan.FromMilliseconds(50) });
        var secondWriter = engine.AuditWriter!;
        Assert.NotSame(firstWriter, secondWriter);
        Assert.Equal(TimeSpan.FromMilliseconds(50), secondWriter.Options.MaxBatchDelay);

        engine.Audit.Enable(500);
        Assert.Same(secondWriter, engine.AuditWriter);
        Assert.Equal(TimeSpan.FromMilliseconds(50), engine.AuditWriter!.Options.MaxBatchDelay);

        engine.Put("k", "v");
        engine.Audit.Flush();
        Assert.Equal("k", Assert.Single(sink.Entries).Key);
        Assert.Single(engine.Audit.Recent());
    }

    [Fact]
    public void EnablingAgainWithEqualOptions_KeepsTheWriter_EvenWithANewListOfTheSameSinks()
    {
        var sink = new ControllableSink(durable: false);
        using var engine = new PolicyEngine(Database.OpenInMemory());
        engine.Audit.Enable(new AuditOptions { Sinks = [sink], MaskedKeys = ["secret/*"] });
        var writer = engine.AuditWriter;

        engine.Audit.Enable(new AuditOptions { Sinks = new List<AuditSink> { sink }, MaskedKeys = ["other/*"], RingSize = 20 });

        Assert.Same(writer, engine.AuditWriter);
    }

    [Fact]
    public void AnyOtherDifference_StartsANewWriter()
    {
        var sink = new ControllableSink(durable: false);
        using var engine = new PolicyEngine(Database.OpenInMemory());
        var options = new AuditOptions { Sinks = [sink] };
        engine.Audit.Enable(options);

        foreach (AuditOptions changed in new[]
        {
            options with { QueueCapacity = 100 },
            options with { QueueCapacity = 100, MaxBatchSize = 10 },
            options with { QueueCapacity = 100, MaxBatchSize = 10, MaxBlock = TimeSpan.FromSeconds(1) },
            options with { QueueCapacity = 100, MaxBatchSize = 10, MaxBlock = TimeSpan.FromSeconds(1), Overflow = FailureMode.FailOpen },
            options with { QueueCapacity = 100, MaxBatchSize = 10, MaxBlock = TimeSpan.FromSeconds(1), Overflow = FailureMode.FailOpen, SinkFailure = FailureMode.FailOpen },
            options with { Sinks = [sink, new ControllableSink(durable: false)] },
        })
        {
            var before = engine.AuditWriter;
            engine.Audit.Enable(changed);
            Assert.NotSame(before, engine.AuditWriter);
            Assert.Equal(changed, engine.AuditWriter!.Options);
        }
    }

    [Fact]
    public void Options_AreEqualByValue_ListsElementByElement_SinksByIdentity()
    {
        var sink = new ControllableSink(durable: false);
        byte[] key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var a = new AuditOptions { Sinks = [sink], MaskedKeys = ["a/*", "b/*"], MaskKey = key };
        var b = new AuditOptions { Sinks = new List<AuditSink> { sink }, MaskedKeys = new[] { "a/*", "b/*" }, MaskKey = (byte[])key.Clone() };

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { MaskedKeys = ["a/*"] });
        Assert.NotEqual(a, b with { Sinks = [new ControllableSink(durable: false)] });
        Assert.NotEqual(a, b with { MaskKey = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray() });
    }

    [Fact]
    public void Options_KeepTheirOwnCopies_OfListsAndTheMaskKey()
    {
        var sinks = new List<AuditSink> { new ControllableSink(durable: false) };
        byte[] key = new byte[16];
        var options = new AuditOptions { Sinks = sinks, MaskKey = key };

        sinks.Clear();
        key[0] = 1;
        options.MaskKey![1] = 1;

        Assert.Single(options.Sinks);
        Assert.Equal(new byte[16], options.MaskKey);
    }

    [Fact]
    public void ADecisionLog_HasNoLocalFallback_SoOverflowAndSinkFailureRefuseIt_NamingTheOption()
    {
        using var store = Database.OpenInMemory();
        using var engine = new PolicyEngine(store);
        var sink = new ControllableSink();

        var overflow = Assert.Throws<ArgumentOutOfRangeException>(() => engine.Audit.Enable(new AuditOptions { Sinks = [sink], Overflow = FailureMode.LocalFallback }));
        Assert.Equal("Overflow", overflow.ParamName);
        Assert.Contains("FailClosed", overflow.Message, StringComparison.Ordinal);
        var failure = Assert.Throws<ArgumentOutOfRangeException>(() => engine.Audit.Enable(new AuditOptions { Sinks = [sink], SinkFailure = FailureMode.LocalFallback }));
        Assert.Equal("SinkFailure", failure.ParamName);
        Assert.Contains("no local fallback", failure.Message, StringComparison.Ordinal);
        Assert.False(engine.Audit.IsEnabled);
        Assert.Equal(FailureMode.FailClosed, new AuditOptions().Overflow);
        Assert.Equal(FailureMode.FailClosed, new AuditOptions().SinkFailure);
    }

    [Fact]
    public void EngineOptions_AreRecords_ComparedAsAWhole()
    {
        var a = new PolicyEngineOptions { MaxNestingDepth = 4, Mode = EnforcementMode.Shadow };

        Assert.Equal(a, new PolicyEngineOptions { MaxNestingDepth = 4, Mode = EnforcementMode.Shadow });
        Assert.NotEqual(a, a with { MaxNestingDepth = 5 });
        Assert.Equal(new DatabaseOptions { Durability = Durability.Normal }, new DatabaseOptions { Durability = Durability.Normal });
    }
}
