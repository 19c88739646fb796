using System.Text;

namespace SochDb.Policy.Tests.Approvals;

/// <summary>What a durable store keeps of a request: everything that will run, read back exactly; damage is named.</summary>
public sealed class ApprovalPayloadTests
{
    private static readonly DateTimeOffset Created = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static ApprovalRequest Sample(byte[]? value, PolicyRuleInfo? rule) => new(
        "0123456789abcdef0123456789abcdef", value is null ? PolicyOperation.Delete : PolicyOperation.Write, "shared/\u00e9t\u00e9"u8,
        value, new PolicyContext { AgentId = "alice", SessionId = null }.With("team", "blue").With("z", ""), rule, "why <b>", Created,
        Created.AddMinutes(5));

    [Fact]
    public void Payload_RoundTrips_EveryFieldThatRuns()
    {
        var rule = new PolicyRuleInfo(PolicyTrigger.BeforeWrite, "shared/**", "Rules.Approve", 3, EnforcementMode.Shadow);
        ApprovalRequest original = Sample([0, 255, 1], rule);

        ApprovalRequest copy = ApprovalRequest.FromStore(original.Id, original.ToPayload(), original.CreatedAt, original.ExpiresAt,
            ApprovalState.Rejected, "erin", "no");

        Assert.Equal((original.Operation, original.ValueHash, original.Reason), (copy.Operation, copy.ValueHash, copy.Reason));
        Assert.Equal(original.KeyBytes, copy.KeyBytes);
        Assert.Equal(("alice", null, "blue", ""), (copy.AgentId, copy.SessionId, copy.Context.Get("team"), copy.Context.Get("z")));
        Assert.Equal((rule.ToString(), 3, EnforcementMode.Shadow), (copy.Rule!.ToString(), copy.Rule.Order, copy.Rule.Mode));
        Assert.Equal((ApprovalState.Rejected, "erin", "no"), (copy.State, copy.DecidedBy, copy.RejectionReason));
    }

    [Fact]
    public void Payload_WithoutValueOrRule_RoundTrips()
    {
        ApprovalRequest original = Sample(null, null);

        ApprovalRequest copy = ApprovalRequest.FromStore(original.Id, original.ToPayload(), Created, Created, ApprovalState.Pending, null, null);

        Assert.Equal((PolicyOperation.Delete, null, null, (int?)null), (copy.Operation, copy.Rule, copy.ValueHash, copy.ValueLength));
        Assert.Null(copy.PreviewValue());
    }

    [Fact]
    public void DamagedPayload_IsRefused_NamingWhere()
    {
        byte[] payload = Sample([1, 2, 3], null).ToPayload();

        var truncated = Assert.Throws<InvalidDataException>(() =>
            ApprovalRequest.FromStore("id1", payload.AsSpan(0, 10), Created, Created, ApprovalState.Pending, null, null));
        var version = Assert.Throws<InvalidDataException>(() =>
            ApprovalRequest.FromStore("id1", [9, .. payload[1..]], Created, Created, ApprovalState.Pending, null, null));
        var trailing = Assert.Throws<InvalidDataException>(() =>
            ApprovalRequest.FromStore("id1", [.. payload, 0], Created, Created, ApprovalState.Pending, null, null));

        Assert.StartsWith("Approval id1: payload ends at byte 10 inside the key", truncated.Message);
        Assert.Equal("Approval id1: payload version 9 is not known (this engine reads version 1).", version.Message);
        Assert.StartsWith("Approval id1: payload has 1 unexpected bytes", trailing.Message);
    }

    [Fact]
    public void PreviewValue_IsCapped_OnACharacterBoundary()
    {
        ApprovalRequest request = Sample(Encoding.UTF8.GetBytes("ab\u00e9cd"), null);

        Assert.Equal("ab\u2026", request.PreviewValue(3));
        Assert.Equal("ab\u00e9\u2026", request.PreviewValue(4));
        Assert.Equal("ab\u00e9cd", request.PreviewValue(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => request.PreviewValue(-1));
    }
}
