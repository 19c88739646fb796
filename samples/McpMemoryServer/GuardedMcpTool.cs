using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SochDb.Policy.AI;

namespace McpMemoryServer;

/// <summary>
/// Serves one guarded memory tool over MCP, without reflection: the tool's own name, description and schema, its JSON
/// result as both text and structured content, and <see cref="CallToolResult.IsError"/> set whenever the status is not
/// <c>ok</c> (a denial, rate limit, failure, pending approval or bad argument), so MCP clients treat it as an error
/// and still read the reason.
/// </summary>
public sealed class GuardedMcpTool : McpServerTool
{
    private readonly MemoryTool _tool;

    public GuardedMcpTool(MemoryTool tool)
    {
        _tool = tool;
        ProtocolTool = new Tool
        {
            Name = tool.Name,
            Description = tool.Description,
            InputSchema = tool.JsonSchema,
        };
    }

    public override Tool ProtocolTool { get; }

    public override IReadOnlyList<object> Metadata => [];

    public override async ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
    {
        var arguments = new AIFunctionArguments();
        if (request.Params?.Arguments is { } sent)
        {
            foreach (KeyValuePair<string, JsonElement> argument in sent)
            {
                arguments[argument.Key] = argument.Value;
            }
        }

        arguments.Services = request.Services;
        // A context resolver can find the MCP request (its session, its client) here.
        arguments.Context = new Dictionary<object, object?> { [typeof(RequestContext<CallToolRequestParams>)] = request };

        var result = (JsonElement)(await _tool.InvokeAsync(arguments, cancellationToken).ConfigureAwait(false))!;
        string status = result.GetProperty("status").GetString()!;
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = result.GetRawText() }],
            StructuredContent = result,
            IsError = status != MemoryToolStatus.Ok,
        };
    }
}
