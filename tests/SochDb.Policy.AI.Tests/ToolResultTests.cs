using System.Text.Json;
using SochDb;

namespace SochDb.Policy.AI.Tests;

/// <summary>Exactly what the model receives through a real FunctionInvokingChatClient, for each kind of outcome.</summary>
public sealed class ToolResultTests
{
    [Fact]
    public async Task AllowedWrite_ThenRead_ModelReceivesOkAndTheValue()
    {
        using var agent = new AgentHarness();

        Assert.Equal("""{"status":"ok","key":"notes/today"}""",
            await agent.CallOnceAsync("memory_write", """{"key":"notes/today","value":"buy milk"}"""));
        Assert.Equal("buy milk", agent.StoredValue("agents/alice/notes/today"));
        Assert.Equal("""{"status":"ok","key":"notes/today","found":true,"value":"buy milk"}""",
            await agent.CallOnceAsync("memory_read", """{"key":"notes/today"}"""));
    }

    [Fact]
    public async Task ReadOfAMissingKey_SaysNotFound()
    {
        using var agent = new AgentHarness();
        Assert.Equal("""{"status":"ok","key":"nothing/here","found":false}""",
            await agent.CallOnceAsync("memory_read", """{"key":"nothing/here"}"""));
    }

    [Fact]
    public async Task DeniedWrite_ModelReceivesReasonAndRule_StoreUntouched()
    {
        using var agent = new AgentHarness();

        string json = await agent.CallOnceAsync("memory_write", """{"key":"system/config","value":"x"}""");

        Assert.Equal("""{"status":"denied","key":"system/config","reason":"system notes are read-only for agents","rule":"[BeforeWrite(\"agents/*/system/**\")] SystemNotesReadOnly"}""", json);
        Assert.Equal(0, agent.StoredCount);
    }

    [Fact]
    public async Task RedactedRead_ModelReceivesTheRedactedValueOnly()
    {
        using var agent = new AgentHarness();
        agent.Seed("agents/alice/contacts/bob/email", "bob@example.com");

        string json = await agent.CallOnceAsync("memory_read", """{"key":"contacts/bob/email"}""");

        Assert.Equal("""{"status":"ok","key":"contacts/bob/email","found":true,"value":"[REDACTED]"}""", json);
        Assert.DoesNotContain("bob@example.com", agent.Model.EverythingSent());
    }

    [Fact]
    public async Task RateLimitedWrite_ModelReceivesRetryAfterInWholeSeconds()
    {
        using var agent = new AgentHarness(configure: engine => engine.AddRateLimit(PolicyOperation.Write, 2, "agent_id"));
        await agent.CallOnceAsync("memory_write", """{"key":"a","value":"1"}""");
        await agent.CallOnceAsync("memory_write", """{"key":"b","value":"2"}""");

        string json = await agent.CallOnceAsync("memory_write", """{"key":"c","value":"3"}""");

        // Two a minute: the next token is 30 s away.
        Assert.Equal("""{"status":"rate_limited","key":"c","reason":"rate limit of 2 write operations a minute per agent_id (\"alice\") exhausted; retry after 30 s","rule":"Write 2/min per agent_id","retry_after_seconds":30}""", json);
        Assert.Null(agent.StoredValue("agents/alice/c"));

        agent.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("""{"status":"ok","key":"c"}""", await agent.CallOnceAsync("memory_write", """{"key":"c","value":"3"}"""));
    }

    [Fact]
    public async Task RateLimitedList_ModelReceivesRateLimitedWithTheRuleAndRetryAfter()
    {
        using var agent = new AgentHarness(configure: engine => engine.AddRateLimit(PolicyOperation.Read, 1, "agent_id"));
        agent.Seed("agents/alice/notes/a", "1");
        await agent.CallOnceAsync("memory_read", """{"key":"notes/a"}""");

        using JsonDocument json = JsonDocument.Parse(await agent.CallOnceAsync("memory_list", """{"prefix":"notes/"}"""));

        Assert.Equal("rate_limited", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("Read 1/min per agent_id", json.RootElement.GetProperty("rule").GetString());
        Assert.Equal(60, json.RootElement.GetProperty("retry_after_seconds").GetInt64());
        Assert.False(json.RootElement.TryGetProperty("approval_id", out _));
    }

    [Fact]
    public async Task FailingRule_ModelReceivesFailedWithoutTheExceptionText()
    {
        using var agent = new AgentHarness();

        string json = await agent.CallOnceAsync("memory_write", """{"key":"fragile","value":"x"}""");

        Assert.Equal("""{"status":"failed","key":"fragile","committed":false,"reason":"a policy rule failed while judging this request, so it was refused; nothing was changed","rule":"[BeforeWrite(\"agents/*/fragile\")] FragileRule"}""", json);
        Assert.DoesNotContain("Password", agent.Model.EverythingSent());
        Assert.Equal(0, agent.StoredCount);
    }

    [Fact]
    public async Task FailingStore_ModelReceivesFailedWithoutTheExceptionText()
    {
        using var agent = new AgentHarness(store: new FailingStore());

        string json = await agent.CallOnceAsync("memory_write", """{"key":"notes/a","value":"x"}""");

        Assert.Equal("""{"status":"failed","key":"notes/a","reason":"the memory store failed to complete the operation; try again later"}""", json);
        Assert.DoesNotContain("/var/lib", agent.Model.EverythingSent());
    }

    [Fact]
    public async Task FailingObserver_SaysTheChangeWasCommitted()
    {
        using var agent = new AgentHarness(configure: engine =>
            engine.AfterWrite("agents/*/notes/*", static (in PolicyRequest _) => throw new InvalidOperationException("webhook down"), "NotifyWebhook"));

        string json = await agent.CallOnceAsync("memory_write", """{"key":"notes/a","value":"x"}""");

        Assert.Equal("""{"status":"failed","key":"notes/a","committed":true,"reason":"the change was committed, but a policy rule that runs afterwards failed; do not repeat the change","rule":"[AfterWrite(\"agents/*/notes/*\")] NotifyWebhook"}""", json);
        Assert.Equal("x", agent.StoredValue("agents/alice/notes/a"));
    }

    [Fact]
    public async Task Delete_ReportsWhetherTheKeyExisted()
    {
        using var agent = new AgentHarness();
        agent.Seed("agents/alice/notes/a", "x");

        Assert.Equal("""{"status":"ok","key":"notes/a","deleted":true}""", await agent.CallOnceAsync("memory_delete", """{"key":"notes/a"}"""));
        Assert.Equal("""{"status":"ok","key":"notes/a","deleted":false}""", await agent.CallOnceAsync("memory_delete", """{"key":"notes/a"}"""));
    }

    [Fact]
    public async Task List_ShowsOnlyKeysTheAgentMayRead_RelativeToItsPrefix()
    {
        using var agent = new AgentHarness();
        agent.Seed("agents/alice/notes/a", "1");
        agent.Seed("agents/alice/notes/b", "2");
        agent.Seed("agents/alice/secrets/pin", AgentHarness.SecretValue);
        agent.Seed("agents/bob/notes/c", "bob's");

        Assert.Equal("""{"status":"ok","prefix":"","keys":["notes/a","notes/b"],"truncated":false}""",
            await agent.CallOnceAsync("memory_list", "{}"));
        Assert.Equal("""{"status":"ok","prefix":"notes/","keys":["notes/a","notes/b"],"truncated":false}""",
            await agent.CallOnceAsync("memory_list", """{"prefix":"notes/"}"""));
    }

    [Fact]
    public async Task List_StopsAtTheConfiguredMaximum_AndSaysTruncated()
    {
        using var agent = new AgentHarness(options: new AgentMemoryOptions { KeyPrefix = AgentHarness.Prefix, MaxListKeys = 2 });
        foreach (string name in new[] { "a", "b", "c" })
        {
            agent.Seed("agents/alice/n/" + name, name);
        }

        Assert.Equal("""{"status":"ok","prefix":"n/","keys":["n/a","n/b"],"truncated":true}""",
            await agent.CallOnceAsync("memory_list", """{"prefix":"n/"}"""));
    }

    [Fact]
    public async Task ValueThatIsNotUtf8_IsReturnedAsBase64()
    {
        using var agent = new AgentHarness();
        agent.Store.Put("agents/alice/blob"u8, new byte[] { 0xFF, 0x00, 0xC3 });

        Assert.Equal("""{"status":"ok","key":"blob","found":true,"value_base64":"/wDD"}""",
            await agent.CallOnceAsync("memory_read", """{"key":"blob"}"""));
    }

    /// <summary>A store whose every operation fails with a message that must not reach the model.</summary>
    private sealed class FailingStore : IKeyValueStore
    {
        private static IOException Failure() => new("disk full at /var/lib/sochdb/agents.db");

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => throw Failure();

        public bool TryGet(ReadOnlySpan<byte> key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? value) => throw Failure();

        public bool Delete(ReadOnlySpan<byte> key) => throw Failure();

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ReadOnlySpan<byte> prefix) => throw Failure();

        public void Write(WriteBatch batch) => throw Failure();

        public void Dispose()
        {
        }
    }
}
