using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>Deletes one key of the agent's memory through the engine (rate limits, BeforeDelete, AfterDelete).</summary>
internal sealed class DeleteMemoryTool : MemoryTool
{
    private const string Schema = """
        {
          "type": "object",
          "properties": {
            "key": { "type": "string", "description": "The key to delete, relative to your memory, e.g. \"notes/today\"." }
          },
          "required": ["key"],
          "additionalProperties": false
        }
        """;

    public DeleteMemoryTool(AgentMemoryTools memory, string name)
        : base(memory, name,
            "Deletes a key from your memory. Returns {\"status\":\"ok\",\"deleted\":true} (false when the key did not exist); "
            + "a status other than ok explains why nothing was deleted.", Schema)
    {
    }

    public override PolicyOperation Operation => PolicyOperation.Delete;

    private protected override async ValueTask<MemoryToolResult> RunAsync(AIFunctionArguments arguments, MemoryToolCall call, CancellationToken cancellationToken)
    {
        ToolArguments.RejectUnknown(arguments, "key");
        string key = ToolArguments.GetRequiredString(arguments, "key");
        byte[] storeKey = Memory.Scope.ToStoreKey(key, "key");
        call.Key = key;
        PolicyContext context = ResolveContext(arguments);
        bool deleted = await Memory.Engine.DeleteAsync(storeKey, context, cancellationToken).ConfigureAwait(false);
        return new MemoryToolResult { Status = MemoryToolStatus.Ok, Key = key, Deleted = deleted };
    }
}
