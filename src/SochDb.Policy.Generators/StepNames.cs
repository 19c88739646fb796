namespace SochDb.Policy.Generators;

/// <summary>Tracking names of the pipeline steps (tests assert which steps re-ran after an edit).</summary>
public static class StepNames
{
    /// <summary>Handler methods parsed into rules (one step per trigger attribute).</summary>
    public const string HandlerRules = nameof(HandlerRules);

    /// <summary>Class-level attributes parsed into rules and rate limits (one step per attribute).</summary>
    public const string ClassRules = nameof(ClassRules);

    /// <summary>Every rule source of the compilation, collected.</summary>
    public const string AllRules = nameof(AllRules);

    /// <summary>One spec per partial type, rules in dispatch order.</summary>
    public const string PolicySets = nameof(PolicySets);

    /// <summary>Every attribute the generator cannot compile, collected (emitted as <c>#error</c> directives).</summary>
    public const string RejectedRules = nameof(RejectedRules);
}
