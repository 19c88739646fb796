namespace SochDb.Policy.AI;

/// <summary>What a tool knows about the call so far, so that a refusal can name the key the model asked for.</summary>
internal sealed class MemoryToolCall
{
    /// <summary>The relative key (or list prefix), once the arguments were accepted.</summary>
    public string? Key { get; set; }
}
