using System.Diagnostics;
using static SochDb.Policy.Tests.Engine.Guarded.GuardedKit;

namespace SochDb.Policy.Tests.Engine.Guarded;

/// <summary>The ActivitySource "SochDb.Policy": a span per guarded operation with operation, result, rule and error status.</summary>
[Collection(ProcessWideListeners.Name)]
public sealed class TracingTests
{
    private static readonly ActivitySource TestSource = new("SochDb.Policy.Tests.Tracing");

    [Fact]
    public async Task Tracing_ASpanPerGuardedOperation_WithOperationResultRuleAndErrorStatus()
    {
        using var spans = new SpanRecorder();
        using var kit = new GuardedKit();
        kit.Store.CompleteAsynchronously = true;
        kit.Engine.BeforeWrite("system/*", Policies.DenyAll, "Guards.System");
        kit.Engine.BeforeRead("broken/*", (in PolicyRequest _) => throw new InvalidOperationException("boom"), "Guards.Broken");
        var context = Agent("tracing-agent");
        // Listeners are process-wide and tests run in parallel: keep only the spans under this test's own parent.
        using Activity parent = TestSource.StartActivity("test")!;

        kit.Engine.Put("docs/a", "1", context);
        Assert.Throws<PolicyViolationException>(() => kit.Engine.Put("system/x", "1", context));
        await Assert.ThrowsAsync<PolicyViolationException>(() => kit.Engine.GetAsync("broken/x", context).AsTask());
        await kit.Engine.DeleteAsync("docs/a", context);

        List<Activity> mine = spans.Under(parent);

        Assert.Equal(new[] { "write", "write", "read", "delete" }, mine.Select(s => (string?)s.GetTagItem("sochdb.policy.operation")));
        Assert.Equal(new[] { "allowed", "denied", "failed", "allowed" }, mine.Select(s => (string?)s.GetTagItem("sochdb.policy.result")));
        Assert.Contains("Guards.System", (string?)mine[1].GetTagItem("sochdb.policy.rule"));
        Assert.Equal(ActivityStatusCode.Error, mine[2].Status);
        Assert.Equal(ActivityStatusCode.Unset, mine[0].Status);
        Assert.Same(parent, Activity.Current);
    }

    [Fact]
    public async Task Tracing_AnAsynchronousCallThatWaits_TagsItsSpanInTheContinuation_AndTheCallerKeepsItsOwnCurrentSpan()
    {
        using var spans = new SpanRecorder();
        using var kit = new GuardedKit();
        kit.Store.CompleteAsynchronously = true; // the store yields: the operation always goes on in its continuation
        using Activity parent = TestSource.StartActivity("test")!;

        ValueTask put = kit.Engine.PutAsync("docs/waits", "1", Agent("tracing-agent"));
        Assert.Same(parent, Activity.Current); // the operation's span is not left current in the caller's flow
        await put;

        Activity span = Assert.Single(spans.Under(parent));

        Assert.Equal("write", span.GetTagItem("sochdb.policy.operation"));
        Assert.Equal("allowed", span.GetTagItem("sochdb.policy.result")); // tagged after the wait, on the same span
        Assert.Same(parent, Activity.Current);
        Assert.Equal("1", kit.Stored("docs/waits"));
    }

    /// <summary>Records the spans the engine and this test's source stop (listeners are process-wide).</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly List<Activity> _stopped = new();
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is "SochDb.Policy" or "SochDb.Policy.Tests.Tracing",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => { lock (_stopped) { _stopped.Add(activity); } },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>The stopped spans whose parent is <paramref name="parent"/>, in the order they stopped.</summary>
        public List<Activity> Under(Activity parent)
        {
            lock (_stopped)
            {
                return _stopped.Where(s => s.ParentSpanId == parent.SpanId).ToList();
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
