using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentMemory;

/// <summary>
/// Plays the model, offline: each turn is a function of what the model was sent (so it reacts to tool results the way a
/// model would), and it prints every tool result it receives: exactly what a real model would read.
/// </summary>
internal sealed class ScriptedModel : IChatClient
{
    private readonly Queue<Func<IReadOnlyList<ChatMessage>, ChatResponse>> _turns = new();
    private int _calls;

    public void Then(Func<IReadOnlyList<ChatMessage>, ChatResponse> turn) => _turns.Enqueue(turn);

    public void ThenCall(string tool, string argumentsJson) => Then(_ => Call(tool, argumentsJson));

    public ChatResponse Call(string tool, string argumentsJson)
    {
        var arguments = new Dictionary<string, object?>();
        using (JsonDocument parsed = JsonDocument.Parse(argumentsJson))
        {
            foreach (JsonProperty property in parsed.RootElement.EnumerateObject())
            {
                arguments[property.Name] = property.Value.Clone();
            }
        }

        string callId = "call_" + ++_calls;
        Console.WriteLine($"  model  -> {tool} {argumentsJson}");
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, tool, arguments)]));
    }

    public static ChatResponse Say(string text)
    {
        Console.WriteLine($"  model  : {text}");
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text));
    }

    /// <summary>The last tool result the model was sent, parsed.</summary>
    public static JsonElement LastResult(IReadOnlyList<ChatMessage> messages) =>
        messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Last().Result is JsonElement json
            ? json
            : throw new InvalidOperationException("The last tool result is not JSON.");

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        List<ChatMessage> received = [.. messages];
        if (received.LastOrDefault()?.Contents.OfType<FunctionResultContent>().LastOrDefault() is { } result)
        {
            Console.WriteLine($"  tool   <- {(result.Result is JsonElement json ? json.GetRawText() : result.Result)}");
        }

        return Task.FromResult(_turns.Dequeue()(received));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (ChatResponseUpdate update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
