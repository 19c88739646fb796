using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace SochDb.Policy.AI;

/// <summary>
/// Lists keys under a prefix of the agent's memory through the engine's scan: each key is judged like a read (a key
/// the agent may not read is left out, unmentioned), and each takes a read token.
/// </summary>
internal sealed class ListMemoryTool : MemoryTool
{
    private const string Schema = """
        {
          "type": "object",
          "properties": {
            "prefix": { "type": "string", "description": "Only keys starting with this, relative to your memory, e.g. \"notes/\". Omit or leave empty to list everything." }
          },
          "additionalProperties": false
        }
        """;

    public ListMemoryTool(AgentMemoryTools memory, string name)
        : base(memory, name,
            "Lists the keys in your memory that start with a prefix, in order. Returns {\"status\":\"ok\",\"keys\":[...],\"truncated\":false}; "
            + "truncated:true means there are more: list a narrower prefix.", Schema)
    {
    }

    public override PolicyOperation Operation => PolicyOperation.Read;

    private protected override async ValueTask<MemoryToolResult> RunAsync(AIFunctionArguments arguments, MemoryToolCall call, CancellationToken cancellationToken)
    {
        ToolArguments.RejectUnknown(arguments, "prefix");
        string prefix = ToolArguments.GetOptionalString(arguments, "prefix") ?? "";
        byte[] storePrefix = Memory.Scope.ToStorePrefix(prefix, "prefix");
        call.Key = prefix;
        PolicyContext context = ResolveContext(arguments);
        var keys = new List<string>();
        bool truncated = false;
        await foreach (KeyValuePair<byte[], byte[]> entry in Memory.Engine.ScanAsync(storePrefix, context, cancellationToken).ConfigureAwait(false))
        {
            if (keys.Count == Memory.MaxListKeys)
            {
                truncated = true;
                break;
            }

            keys.Add(Memory.Scope.ToRelativeKey(entry.Key));
        }

        return new MemoryToolResult { Status = MemoryToolStatus.Ok, Prefix = prefix, Keys = keys, Truncated = truncated };
    }
}
