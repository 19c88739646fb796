namespace SochDb.Policy.Tests.Audit;

/// <summary>Keys matching a mask pattern are recorded as a keyed hash: never in the table, the ring, or a sink's error.</summary>
public sealed class AuditMaskingTests
{
    private static readonly byte[] Secret = "0123456789abcdef0123456789abcdef"u8.ToArray();

    [Fact]
    public void AMaskedKeyNeverAppearsInTheTable_OrTheRing_AndEqualKeysGiveEqualMasks()
    {
        using var kit = new AuditTestKit(sink => new AuditOptions { Sinks = [sink], MaskedKeys = ["users/*/ssn", "secrets/**"], MaskKey = Secret });
        kit.Engine.BeforeRead("secrets/**", Policies.DenyAll, name: "no-secrets");
        kit.Engine.Put("users/alice-7c1/ssn", "078-05-1120");
        kit.Engine.Get("users/alice-7c1/ssn");
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Get("secrets/launch-codes/red"));
        kit.Engine.Put("users/alice-7c1/name", "Alice");

        List<AuditEntry> records = kit.Records();
        Assert.Equal(4, records.Count);
        Assert.True(records[0].IsKeyMasked);
        Assert.Matches("^masked:[0-9a-f]{32}$", records[0].Key);
        Assert.Equal(records[0].Key, records[1].Key);
        Assert.True(records[2].IsKeyMasked);
        Assert.NotEqual(records[0].Key, records[2].Key);
        Assert.False(records[3].IsKeyMasked);
        Assert.Equal("users/alice-7c1/name", records[3].Key);

        kit.Engine.Audit.Disable();
        byte[] file = kit.FileBytes();
        Assert.False(AuditTestKit.Contains(file, "alice-7c1/ssn"), "the masked key is in the audit file");
        Assert.False(AuditTestKit.Contains(file, "launch-codes"), "the masked key is in the audit file");
        Assert.True(AuditTestKit.Contains(file, "alice-7c1/name"), "the search itself must be able to find a key");
        Assert.DoesNotContain(kit.Engine.Audit.Recent(100), e => e.Key.Contains("ssn", StringComparison.Ordinal) || e.Key.Contains("launch", StringComparison.Ordinal));
        Assert.True(kit.Sink.Verify().IsIntact);
    }

    [Fact]
    public void TheMaskIsAKeyedHash_TheSameSecretGivesTheSameMask_AnotherSecretAnother()
    {
        string MaskWith(byte[] secret)
        {
            using var store = Database.OpenInMemory();
            using var engine = new PolicyEngine(store);
            engine.Audit.Enable(new AuditOptions { MaskedKeys = ["users/*/ssn"], MaskKey = secret });
            engine.Put("users/bob/ssn", "x");
            return engine.Audit.Recent().Single().Key;
        }

        Assert.Equal(MaskWith(Secret), MaskWith(Secret));
        Assert.NotEqual(MaskWith(Secret), MaskWith(new byte[32]));
        byte[] expected = System.Security.Cryptography.HMACSHA256.HashData(Secret, "users/bob/ssn"u8);
        Assert.Equal("masked:" + Convert.ToHexStringLower(expected, 0, 16), MaskWith(Secret));
    }

    [Fact]
    public void TheMaskedKeyNeverAppearsInASinkFailure()
    {
        using var store = Database.OpenInMemory();
        var sink = new EchoingFailureSink();
        var failures = new List<(AuditSink Sink, Exception Exception)>();
        using var engine = new PolicyEngine(store);
        engine.Audit.Enable(new AuditOptions
        {
            Sinks = [sink], MaskedKeys = ["users/*/ssn"], MaskKey = Secret, SinkFailure = FailureMode.FailOpen,
            OnSinkFailure = (sink, exception) => { lock (failures) { failures.Add((sink, exception)); } },
        });
        engine.Put("users/carol-99/ssn", "x");
        var flush = Assert.Throws<IOException>(engine.Audit.Flush);

        Assert.DoesNotContain("carol-99", flush.Message);
        Assert.Contains("masked:", flush.InnerException!.Message); // the sink itself only ever saw the mask
        Assert.DoesNotContain("carol-99", engine.Audit.Status.LastFailure);
        lock (failures)
        {
            Assert.NotEmpty(failures);
            Assert.All(failures, f => Assert.DoesNotContain("carol-99", f.Exception.Message));
        }

        sink.Fail = false;
        engine.Audit.Flush();
    }

    [Fact]
    public void BadMaskOptionsAreRefusedWithTheirName()
    {
        using var store = Database.OpenInMemory();
        using var engine = new PolicyEngine(store);
        var badPattern = Assert.Throws<GlobPatternException>(() => engine.Audit.Enable(new AuditOptions { MaskedKeys = ["users/[a"] }));
        Assert.Equal("users/[a", badPattern.Pattern);
        var shortKey = Assert.Throws<ArgumentException>(() => engine.Audit.Enable(new AuditOptions { MaskedKeys = ["a/*"], MaskKey = new byte[8] }));
        Assert.Contains("MaskKey", shortKey.Message);
        Assert.False(engine.Audit.IsEnabled);
    }

    /// <summary>A sink whose failure message repeats every key it was given (as a careless driver might).</summary>
    private sealed class EchoingFailureSink : AuditSink
    {
        public EchoingFailureSink()
            : base("echo")
        {
        }

        public override bool IsDurable => true;

        public volatile bool Fail = true;

        public override void Write(IReadOnlyList<AuditEntry> batch)
        {
            if (Fail)
            {
                throw new IOException("cannot store " + string.Join(", ", batch.Select(e => e.Key)));
            }
        }
    }
}
