namespace SochDb.Policy.AI.Tests;

/// <summary>Arguments a model can get wrong: each refused with a result it can correct from, the store untouched.</summary>
public sealed class BadArgumentTests
{
    [Theory]
    [InlineData("""{"key":"../system/config","value":"x"}""", "key", "must not contain a '..' segment")]
    [InlineData("""{"key":"notes/../../bob/x","value":"x"}""", "key", "must not contain a '..' segment")]
    [InlineData("""{"key":"./notes","value":"x"}""", "key", "must not contain a '.' segment")]
    [InlineData("""{"key":"/system/x","value":"x"}""", "key", "drop the leading '/'")]
    [InlineData("""{"key":"agents/alice/notes","value":"x"}""", "key", "write \"notes\" instead of repeating the prefix")]
    [InlineData("""{"key":"notes//a","value":"x"}""", "key", "must not contain an empty segment")]
    [InlineData("""{"key":"notes/","value":"x"}""", "key", "must not contain an empty segment")]
    [InlineData("""{"key":"","value":"x"}""", "key", "must not be empty")]
    [InlineData("""{"key":"a\u0000b","value":"x"}""", "key", "must not contain control characters (found U+0000)")]
    [InlineData("""{"key":"a\ud800b","value":"x"}""", "key", "is not valid Unicode")]
    [InlineData("""{"key":"a","value":"\udc00"}""", "value", "is not valid Unicode")]
    [InlineData("""{"key":42,"value":"x"}""", "key", "must be a JSON string, not a number")]
    [InlineData("""{"key":["a"],"value":"x"}""", "key", "must be a JSON string, not an array")]
    [InlineData("""{"key":"a","value":{"v":1}}""", "value", "must be a JSON string, not an object")]
    [InlineData("""{"key":"a","value":true}""", "value", "must be a JSON string, not a boolean")]
    [InlineData("""{"value":"x"}""", "key", "missing; it is required")]
    [InlineData("""{"key":null,"value":"x"}""", "key", "missing; it is required")]
    [InlineData("""{"key":"a"}""", "value", "missing; it is required")]
    [InlineData("""{"path":"a","key":"a","value":"x"}""", "path", "unknown argument; this tool takes 'key' and 'value'")]
    public async Task RefusedWrite_NamesTheArgumentAndWhy_AndTouchesNothing(string arguments, string argument, string why)
    {
        using var agent = new AgentHarness();

        string json = await agent.CallOnceAsync("memory_write", arguments);

        using var result = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("invalid_argument", result.RootElement.GetProperty("status").GetString());
        Assert.Equal(argument, result.RootElement.GetProperty("argument").GetString());
        Assert.Contains(why, result.RootElement.GetProperty("reason").GetString());
        Assert.EndsWith("; nothing was read or changed", result.RootElement.GetProperty("reason").GetString());
        Assert.Equal(0, agent.StoredCount);
        Assert.Empty(agent.Engine.Audit.Recent());
    }

    [Fact]
    public async Task ExactRefusal_ForAPrefixEscape()
    {
        using var agent = new AgentHarness();
        Assert.Equal(
            """{"status":"invalid_argument","argument":"key","reason":"'key' must not contain a '..' segment: keys are never resolved, and nothing outside your memory can be reached; nothing was read or changed"}""",
            await agent.CallOnceAsync("memory_read", """{"key":"../system/config"}"""));
    }

    [Fact]
    public async Task KeyOverTheLimit_IsRefusedWithTheLimitUnderThePrefix()
    {
        using var agent = new AgentHarness();
        int room = IKeyValueStore.MaxKeyLength - AgentHarness.Prefix.Length;

        string json = await agent.CallOnceAsync("memory_write", $$"""{"key":"{{new string('k', room + 1)}}","value":"x"}""");

        Assert.Contains($"is too long: at most {room} bytes of UTF-8 here, and this one is {room + 1}", json);
        Assert.Equal(0, agent.StoredCount);
        Assert.Equal("""{"status":"ok","key":"{{k}}"}""".Replace("{{k}}", new string('k', room)),
            await agent.CallOnceAsync("memory_write", $$"""{"key":"{{new string('k', room)}}","value":"x"}"""));
    }

    [Fact]
    public async Task ValueOverTheLimit_IsRefused()
    {
        using var agent = new AgentHarness(options: new AgentMemoryOptions { KeyPrefix = AgentHarness.Prefix, MaxValueBytes = 4 });

        string json = await agent.CallOnceAsync("memory_write", """{"key":"a","value":"12345"}""");

        Assert.Contains("'value' is too long: at most 4 bytes of UTF-8, and this one is 5", json);
        Assert.Equal(0, agent.StoredCount);
    }

    [Theory]
    [InlineData("""{"prefix":"../"}""", "must not contain a '..' segment")]
    [InlineData("""{"prefix":"/"}""", "drop the leading '/'")]
    [InlineData("""{"prefix":"a//"}""", "must not contain an empty segment")]
    [InlineData("""{"prefix":7}""", "must be a JSON string, not a number")]
    public async Task RefusedList(string arguments, string why)
    {
        using var agent = new AgentHarness();
        agent.Seed("agents/alice/a", "1");

        string json = await agent.CallOnceAsync("memory_list", arguments);

        Assert.Contains("\"status\":\"invalid_argument\"", json);
        Assert.Contains(why, json);
        Assert.Empty(agent.Engine.Audit.Recent());
    }

    [Theory]
    [InlineData("")]
    [InlineData("agents/alice")]
    [InlineData("/agents/alice/")]
    [InlineData("agents//alice/")]
    public void BadPrefix_IsRefusedWhenTheToolsAreCreated(string prefix)
    {
        using var agent = new AgentHarness();
        var error = Assert.Throws<ArgumentException>(() => new AgentMemoryTools(agent.Engine, new AgentMemoryOptions { KeyPrefix = prefix }));
        Assert.Contains("prefix", error.Message);
    }
}
