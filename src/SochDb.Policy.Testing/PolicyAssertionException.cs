using System;

namespace SochDb.Policy.Testing;

/// <summary>
/// A policy assertion failed. The message says what was expected, what the operation would get instead, which rule
/// decided and why, and every rule that matched. Any test framework reports it as a failure.
/// </summary>
public sealed class PolicyAssertionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PolicyAssertionException(string message, PolicyExplanation? explanation = null)
        : base(message)
    {
        Explanation = explanation;
    }

    /// <summary>What the engine said about the operation (null when the assertion failed before asking).</summary>
    public PolicyExplanation? Explanation { get; }
}
