using System;

namespace SochDb.Policy.AI;

/// <summary>The host's <see cref="PolicyContextResolver"/> threw or returned null; the call is refused unrun.</summary>
internal sealed class ContextResolutionException : Exception
{
    public ContextResolutionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
