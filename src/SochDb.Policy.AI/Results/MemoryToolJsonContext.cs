using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SochDb.Policy.AI;

/// <summary>Source-generated serialization of tool results: no reflection, NativeAOT-clean.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MemoryToolResult))]
internal sealed partial class MemoryToolJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context tools serialize with: like <see cref="JsonSerializerContext"/>'s default but without HTML escaping,
    /// so a reason reads <c>'..'</c> rather than <c>\u0027..\u0027</c> (the text goes to a model, never into HTML).
    /// </summary>
    public static MemoryToolJsonContext ForModels { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
