using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace SochDb.Policy.Hosting;

/// <summary>
/// How the policy engine is built: the store, the engine-wide enforcement mode and the audit log. Read once, when the
/// engine is created, and validated at start-up; rules and rate limits come from <see cref="PolicyRulesOptions"/>,
/// which reload while the application runs.
/// </summary>
public sealed class SochDbPolicyOptions
{
    /// <summary>The configuration section <c>AddSochDbPolicy</c> is usually given: <c>SochDbPolicy</c>.</summary>
    public const string SectionName = "SochDbPolicy";

    /// <summary>The store the engine guards.</summary>
    [Required]
    [ValidateObjectMembers]
    public PolicyStoreOptions Store { get; set; } = new();

    /// <summary>The audit log kept in memory by the engine.</summary>
    [Required]
    [ValidateObjectMembers]
    public PolicyAuditOptions Audit { get; set; } = new();

    /// <summary>
    /// The engine-wide enforcement mode; default <see cref="EnforcementMode.Enforce"/>. <see cref="EnforcementMode.Shadow"/>
    /// records every denial as would-deny and lets the operation proceed (see docs/operating.md).
    /// </summary>
    [EnumDataType(typeof(EnforcementMode))]
    public EnforcementMode Mode { get; set; } = EnforcementMode.Enforce;

    /// <summary>How many guarded operations may nest on one thread (a handler calling the engine); 1 to 64, default 8.</summary>
    [Range(1, 64)]
    public int MaxNestingDepth { get; set; } = PolicyEngine.DefaultMaxNestingDepth;
}

/// <summary>Where the engine's key-value store lives.</summary>
public sealed class PolicyStoreOptions
{
    /// <summary>Path of the SQLite file (created when missing; a relative path starts at the host's content root). Required unless <see cref="InMemory"/> is set or a store factory is registered.</summary>
    public string? Path { get; set; }

    /// <summary>Use a volatile in-memory store instead of a file (tests, demos).</summary>
    public bool InMemory { get; set; }

    /// <summary>Durability of each commit to the SQLite file; default <see cref="SochDb.Durability.Full"/> (an fsync per commit).</summary>
    [EnumDataType(typeof(SochDb.Durability))]
    public SochDb.Durability Durability { get; set; } = SochDb.Durability.Full;
}

/// <summary>The engine's audit: the in-memory ring, a durable SQLite ledger, masked keys. Sinks of your own are added with <c>AddAuditSink</c>.</summary>
public sealed class PolicyAuditOptions
{
    /// <summary>Whether the audit is on; default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How many of the newest entries the in-memory ring keeps; 1 to 10,000,000, default 10,000.</summary>
    [Range(1, 10_000_000)]
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>Path of a durable, tamper-evident SQLite audit ledger (a relative path starts at the host's content root); default none.</summary>
    public string? LedgerPath { get; set; }

    /// <summary>Glob patterns of keys recorded as a keyed hash instead of their text; default none.</summary>
    public List<string> MaskedKeys { get; set; } = new();
}
