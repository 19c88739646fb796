using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>Reads one key of the agent's memory through the engine (BeforeRead, AfterRead: a redacted value is what the model gets).</summary>
internal sealed class ReadMemoryTool : MemoryTool
{
    private const string Schema = """
        {
          "type": "object",
          "properties": {
            "key": { "type": "string", "description": "The key to read, relative to your memory, e.g. \"notes/today\". No leading '/', no '.' or '..' segments." }
          },
          "required": ["key"],
          "additionalProperties": false
        }
        """;

    public ReadMemoryTool(AgentMemoryTools memory, string name)
        : base(memory, name,
            "Reads a value from your memory. Returns {\"status\":\"ok\",\"found\":true,\"value\":...} or found:false when the key does not exist; "
            + "a status other than ok explains why the read was refused.", Schema)
    {
    }

    public override PolicyOperation Operation => PolicyOperation.Read;

    private protected override async ValueTask<MemoryToolResult> RunAsync(AIFunctionArguments arguments, MemoryToolCall call, CancellationToken cancellationToken)
    {
        ToolArguments.RejectUnknown(arguments, "key");
        string key = ToolArguments.GetRequiredString(arguments, "key");
        byte[] storeKey = Memory.Scope.ToStoreKey(key, "key");
        call.Key = key;
        PolicyContext context = ResolveContext(arguments);
        byte[]? value = await Memory.Engine.GetAsync(storeKey, context, cancellationToken).ConfigureAwait(false);
        return MemoryValues.ReadResult(key, value);
    }
}
