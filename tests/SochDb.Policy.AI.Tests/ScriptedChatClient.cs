using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI.Tests;

/// <summary>
/// A chat client that plays a model from a script: each request gets the next scripted response, and every request's
/// messages are kept, so a test can assert exactly what "the model" received. No network, no model.
/// </summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Queue<Func<IReadOnlyList<ChatMessage>, ChatResponse>> _script = new();

    /// <summary>The messages of each request, in order (copies: later changes by the caller do not show).</summary>
    public List<List<ChatMessage>> Requests { get; } = [];

    /// <summary>Scripts a response that calls one tool.</summary>
    public ScriptedChatClient ThenCall(string callId, string tool, string argumentsJson)
    {
        var arguments = System.Text.Json.JsonSerializer.Deserialize(argumentsJson, TestJson.Default.DictionaryStringJsonElement)!
            .ToDictionary(p => p.Key, p => (object?)p.Value);
        _script.Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, tool, arguments)])));
        return this;
    }

    /// <summary>Scripts a text answer.</summary>
    public ScriptedChatClient ThenSay(string text)
    {
        _script.Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, text)));
        return this;
    }

    /// <summary>Scripts a response computed from what the model received (a model reacting to a tool result).</summary>
    public ScriptedChatClient Then(Func<IReadOnlyList<ChatMessage>, ChatResponse> respond)
    {
        _script.Enqueue(respond);
        return this;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        List<ChatMessage> received = [.. messages.Select(m => m.Clone())];
        Requests.Add(received);
        if (_script.Count == 0)
        {
            throw new InvalidOperationException($"The script has no response left for request #{Requests.Count}.");
        }

        return Task.FromResult(_script.Dequeue()(received));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    /// <summary>Every function result the model was sent, by call id, as raw JSON text (or the text the framework wrote).</summary>
    public string ResultSentToModel(string callId)
    {
        foreach (List<ChatMessage> request in Requests)
        {
            foreach (FunctionResultContent result in request.SelectMany(m => m.Contents).OfType<FunctionResultContent>())
            {
                if (result.CallId == callId)
                {
                    return result.Result switch
                    {
                        System.Text.Json.JsonElement json => json.GetRawText(),
                        string text => text,
                        var other => throw new InvalidOperationException($"Unexpected result type {other?.GetType()}."),
                    };
                }
            }
        }

        throw new InvalidOperationException($"No request carried a result for call '{callId}'.");
    }

    /// <summary>Everything the model was ever sent, as one string (for leak checks).</summary>
    public string EverythingSent() => string.Join("\n", Requests.SelectMany(r => r).Select(Render));

    internal static string Render(ChatMessage message) => string.Join(" | ", message.Contents.Select(c => c switch
    {
        TextContent text => text.Text,
        FunctionCallContent call => $"call {call.CallId} {call.Name} {System.Text.Json.JsonSerializer.Serialize(call.Arguments, TestJson.Default.IDictionaryStringObject)}",
        FunctionResultContent result => $"result {result.CallId} {(result.Result is System.Text.Json.JsonElement e ? e.GetRawText() : result.Result?.ToString())}",
        _ => c.ToString() ?? "",
    }));
}
