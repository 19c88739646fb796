namespace SochDb.Policy.Tests;

/// <summary>
/// Tests that register process-wide activity listeners. While one is registered the engine creates spans, which
/// allocate; so these tests run alone, never beside the allocation tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideListeners
{
    public const string Name = "Process-wide listeners";
}
