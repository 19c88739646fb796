namespace SochDb.Policy.Matching.Planning;

/// <summary>What the emitter adds to a node of the shared dispatch tree: method names and the interleaving facts.</summary>
internal sealed partial class PlanNode<TRule>
{
    /// <summary>The name of this node's methods: the trigger, then the path's segments as far as they are identifier characters.</summary>
    public string MethodName { get; set; } = "";

    /// <summary>Whether a node above this one has rules, so its matches must be merged with this node's in dispatch order.</summary>
    public bool Inherits { get; set; }

    /// <summary>
    /// Whether rules found at this node and rules found elsewhere on the key's path (below it, or through another
    /// anchor) can interleave in dispatch order: then the matches are collected, sorted and run at the end instead of
    /// run as they are found.
    /// </summary>
    public bool Collects => Inherits || (Rules.Count > 0 && Children.Count > 0) || Anchors.Count > 0;
}
