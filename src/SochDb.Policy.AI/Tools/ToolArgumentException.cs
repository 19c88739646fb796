using System;

namespace SochDb.Policy.AI;

/// <summary>An argument the model passed was refused; becomes an <c>invalid_argument</c> result, never reaches the store.</summary>
internal sealed class ToolArgumentException : Exception
{
    public ToolArgumentException(string argument, string reason)
        : base($"{argument}: {reason}")
    {
        Argument = argument;
        Reason = reason;
    }

    public string Argument { get; }

    public string Reason { get; }
}
