namespace SochDb.Policy;

/// <summary>
/// A run-time handler for <see cref="PolicyTrigger.BeforeWrite"/>, <see cref="PolicyTrigger.BeforeRead"/>,
/// <see cref="PolicyTrigger.BeforeDelete"/> or <see cref="PolicyTrigger.AfterRead"/>. A lambda returning
/// <see cref="PolicyAction"/> converts to it because <see cref="PolicyDecision"/> converts from <see cref="PolicyAction"/>.
/// </summary>
/// <param name="request">The operation being judged; valid only during the call.</param>
/// <returns>Allow, Deny (with a reason) or Modify (BeforeWrite and AfterRead only).</returns>
public delegate PolicyDecision PolicyHandler(in PolicyRequest request);

/// <summary>
/// A run-time observer for <see cref="PolicyTrigger.AfterWrite"/> or <see cref="PolicyTrigger.AfterDelete"/>:
/// it runs for its side effects after the change is durable and cannot undo it.
/// </summary>
/// <param name="request">The operation that happened; valid only during the call.</param>
public delegate void PolicyObserver(in PolicyRequest request);
