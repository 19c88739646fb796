using System;

namespace SochDb.Policy.Redis;

/// <summary>
/// The Redis rate-limit backend could not answer: Redis was unreachable, did not reply within
/// <see cref="RedisRateLimitOptions.Timeout"/>, or refused the script. The engine applies its declared failure policy.
/// After a timeout the script may still have run on the server (and taken its tokens): a slow Redis errs towards
/// admitting less, never more. The inner exception is the client's.
/// </summary>
public sealed class RedisRateLimitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RedisRateLimitException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
