using System;
using System.Collections.Generic;
using System.Linq;

namespace SochDb.Policy.Hosting;

/// <summary>
/// A policy configuration was refused, whole: nothing from it is enforced. At start-up the application does not start;
/// on reload the last good configuration stays in force (see docs/operating.md).
/// </summary>
public sealed class PolicyConfigurationException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    public PolicyConfigurationException(IReadOnlyList<PolicyConfigurationError> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>Every error found, in the order of the entries.</summary>
    public IReadOnlyList<PolicyConfigurationError> Errors { get; }

    private static string Describe(IReadOnlyList<PolicyConfigurationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 1
            ? "Policy configuration refused: " + errors[0]
            : $"Policy configuration refused ({errors.Count} errors): " + string.Join("; ", errors.Select(e => e.ToString()));
    }
}
