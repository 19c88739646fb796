using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>Writes one key of the agent's memory through the engine (rate limits, BeforeWrite, AfterWrite).</summary>
internal sealed class WriteMemoryTool : MemoryTool
{
    private const string Schema = """
        {
          "type": "object",
          "properties": {
            "key": { "type": "string", "description": "The key to write, relative to your memory, e.g. \"notes/today\". No leading '/', no '.' or '..' segments." },
            "value": { "type": "string", "description": "The text to store (may be empty)." }
          },
          "required": ["key", "value"],
          "additionalProperties": false
        }
        """;

    public WriteMemoryTool(AgentMemoryTools memory, string name)
        : base(memory, name,
            "Writes a text value to your memory under a key, replacing any previous value. Returns {\"status\":\"ok\"} when written; "
            + "a status other than ok explains why nothing was written and what to do.", Schema)
    {
    }

    public override PolicyOperation Operation => PolicyOperation.Write;

    private protected override async ValueTask<MemoryToolResult> RunAsync(AIFunctionArguments arguments, MemoryToolCall call, CancellationToken cancellationToken)
    {
        ToolArguments.RejectUnknown(arguments, "key", "value");
        string key = ToolArguments.GetRequiredString(arguments, "key");
        string value = ToolArguments.GetRequiredString(arguments, "value");
        byte[] storeKey = Memory.Scope.ToStoreKey(key, "key");
        int valueBytes = Encoding.UTF8.GetByteCount(value);
        if (valueBytes > Memory.MaxValueBytes)
        {
            throw new ToolArgumentException("value", $"is too long: at most {Memory.MaxValueBytes} bytes of UTF-8, and this one is {valueBytes}");
        }

        call.Key = key;
        PolicyContext context = ResolveContext(arguments);
        await Memory.Engine.PutAsync(storeKey, Encoding.UTF8.GetBytes(value), context, cancellationToken).ConfigureAwait(false);
        return new MemoryToolResult { Status = MemoryToolStatus.Ok, Key = key };
    }
}
